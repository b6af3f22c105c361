"""The run-history store's schema, as numbered migrations (each applied once, in order)."""

from __future__ import annotations

#: Migration n (1-based) takes the schema from version n − 1 to n.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
        size INTEGER NOT NULL, data BLOB NOT NULL);
    CREATE TABLE plate_versions (
        id INTEGER PRIMARY KEY,
        plate_id TEXT NOT NULL, analyte TEXT NOT NULL, version INTEGER NOT NULL,
        fingerprint TEXT NOT NULL, created_utc TEXT NOT NULL,
        run_date TEXT, lot TEXT,
        source_file TEXT NOT NULL, source_sha256 TEXT NOT NULL,
        layout_file TEXT, layout_sha256 TEXT, config_sha256 TEXT,
        options_json TEXT NOT NULL, masks_json TEXT NOT NULL,
        verdict TEXT NOT NULL, reasons TEXT NOT NULL, warnings TEXT NOT NULL,
        intra_cv_pct REAL, software_version TEXT NOT NULL,
        tables_json TEXT NOT NULL, provenance_json TEXT NOT NULL,
        UNIQUE (plate_id, analyte, version),
        UNIQUE (plate_id, analyte, fingerprint));
    CREATE TABLE current_versions (
        plate_id TEXT NOT NULL, analyte TEXT NOT NULL,
        version_id INTEGER NOT NULL REFERENCES plate_versions(id),
        first_processed_utc TEXT NOT NULL,
        PRIMARY KEY (plate_id, analyte));
    CREATE TABLE masks (
        id INTEGER PRIMARY KEY, plate_id TEXT NOT NULL, analyte TEXT NOT NULL,
        well TEXT NOT NULL, action TEXT NOT NULL CHECK (action IN ('mask', 'unmask')),
        reason TEXT NOT NULL, user TEXT NOT NULL, time_utc TEXT NOT NULL);
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY, plate_id TEXT NOT NULL, analyte TEXT NOT NULL,
        version_id INTEGER NOT NULL REFERENCES plate_versions(id),
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject')),
        reason TEXT NOT NULL, user TEXT NOT NULL, time_utc TEXT NOT NULL);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY, time_utc TEXT NOT NULL, user TEXT NOT NULL,
        action TEXT NOT NULL, plate_id TEXT, analyte TEXT, version INTEGER,
        software_version TEXT NOT NULL, details_json TEXT NOT NULL);
    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE INDEX plate_versions_by_plate ON plate_versions (plate_id, analyte);
    """,
    """
    CREATE TABLE analyser_imports (
        sha256 TEXT PRIMARY KEY REFERENCES blobs(sha256), analyte TEXT NOT NULL,
        source_file TEXT NOT NULL, n_results INTEGER NOT NULL, user TEXT NOT NULL,
        time_utc TEXT NOT NULL);
    CREATE TABLE analyser_results (
        id INTEGER PRIMARY KEY, import_sha256 TEXT NOT NULL REFERENCES analyser_imports(sha256),
        line INTEGER NOT NULL, analyte TEXT NOT NULL, sample_id TEXT NOT NULL,
        value REAL, censor TEXT NOT NULL CHECK (censor IN ('', '<', '>')), unit TEXT NOT NULL,
        run_date TEXT NOT NULL, flags TEXT NOT NULL);
    CREATE INDEX analyser_results_by_sample ON analyser_results (analyte, sample_id);
    """,
    """
    CREATE TABLE qc_status (
        plate_id TEXT NOT NULL, analyte TEXT NOT NULL,
        version_id INTEGER NOT NULL REFERENCES plate_versions(id),
        verdict TEXT NOT NULL, reasons TEXT NOT NULL, warnings TEXT NOT NULL,
        out_of_spec INTEGER NOT NULL, rules TEXT NOT NULL, limits TEXT NOT NULL,
        updated_utc TEXT NOT NULL,
        PRIMARY KEY (plate_id, analyte));
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
