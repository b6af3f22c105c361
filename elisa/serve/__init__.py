"""`elisa serve`: a local review web app over the run-history store (issue 12).

Pages and a small JSON API over the same library functions the CLI uses (`mask_wells`,
`review_plate`, `run_exports`, `qc_across_runs`'s tables, the plate report's figures). Every
script, style and chart is served by the app itself: no page asks another host for anything.
Modules: `app` (factory and server), `security` (token, same-origin), `plate_data` (what the
pages show, read from the store), `api` (JSON routes), `pages` (HTML routes), `uploads` (new
plates), `layout_editor` (wellmap TOML from painted wells).
"""
