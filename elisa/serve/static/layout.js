// elisa serve, layout editor: paint wells with a role and fields, fill serial dilutions, and
// turn the plate into a wellmap TOML layout (checked by the server with elisa's own loader).
(function () {
  "use strict";
  var root = document.getElementById("editor");
  if (!root) { return; }
  var ROWS = "ABCDEFGH".split(""), COLS = 12, ROLES = ["standard", "control", "sample", "blank", "empty"];
  var wells = {}, picked = {}, dragging = false;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }
  function field(label, input) { return el("label", {}, [label + " ", input]); }
  var role = el("select", { id: "role" }, ROLES.map(function (r) { return el("option", {}, [r]); }));
  var sample = el("input", { id: "sample", size: "10" });
  var conc = el("input", { id: "conc", size: "8" });
  var dilution = el("input", { id: "dilution", size: "5" });
  var top = el("input", { id: "top", size: "8", value: "1000" });
  var factor = el("input", { id: "factor", size: "4", value: "2" });
  var across = el("select", { id: "direction" }, [el("option", { value: "down" }, ["down the rows"]), el("option", { value: "across" }, ["across the columns"])]);
  var expt = {};
  ["analyte", "plate_id", "date", "lot"].forEach(function (k) { expt[k] = el("input", { id: "expt-" + k, size: "12" }); });
  var toml = el("textarea", { id: "toml", readonly: "readonly" });
  var status = el("p", { id: "layout-status", class: "muted" });
  var download = el("a", { id: "download", download: "layout.toml" }, ["Download layout.toml"]);
  download.hidden = true;

  function button(text, id, action) { var b = el("button", { type: "button", id: id }, [text]); b.addEventListener("click", action); return b; }
  var grid = el("table", { class: "grid", id: "grid" });
  var head = el("tr", {}, [el("th")]);
  for (var c = 1; c <= COLS; c++) { head.append(el("th", {}, [String(c)])); }
  grid.append(head);
  ROWS.forEach(function (r) {
    var tr = el("tr", {}, [el("th", {}, [r])]);
    for (var c = 1; c <= COLS; c++) {
      var td = el("td", { "data-well": r + c, class: "empty" });
      td.addEventListener("mousedown", function (e) { dragging = true; if (!e.shiftKey && !e.ctrlKey) { clearPicked(); } toggle(this.dataset.well); e.preventDefault(); });
      td.addEventListener("mouseenter", function () { if (dragging) { picked[this.dataset.well] = true; paint(); } });
      tr.append(td);
    }
    grid.append(tr);
  });
  document.addEventListener("mouseup", function () { dragging = false; });

  function clearPicked() { picked = {}; }
  function toggle(w) { if (picked[w]) { delete picked[w]; } else { picked[w] = true; } paint(); }
  function pickedWells() { return Object.keys(picked); }
  function paint() {
    grid.querySelectorAll("td").forEach(function (td) {
      var w = wells[td.dataset.well] || { role: "empty" };
      td.className = w.role + (picked[td.dataset.well] ? " picked" : "");
      var text = w.role === "empty" ? "" : (w.sample || (w.role === "standard" && w.conc !== undefined ? String(w.conc) : w.role));
      if (w.dilution && w.dilution !== 1) { text += " ×" + w.dilution; }
      td.textContent = text;
      td.title = td.dataset.well + ": " + JSON.stringify(w);
    });
  }
  function apply() {
    pickedWells().forEach(function (w) {
      if (role.value === "empty") { delete wells[w]; return; }
      var rec = { role: role.value };
      if (sample.value) { rec.sample = sample.value; }
      if (conc.value) { rec.conc = Number(conc.value); }
      if (dilution.value) { rec.dilution = Number(dilution.value); }
      wells[w] = rec;
    });
    paint();
  }
  function serial() {
    // picked wells in steps down the rows (or across the columns); replicates share a step
    var step = across.value === "across" ? function (w) { return Number(w.slice(1)); } : function (w) { return ROWS.indexOf(w[0]); };
    var steps = Array.from(new Set(pickedWells().map(step))).sort(function (a, b) { return a - b; });
    var t = Number(top.value), f = Number(factor.value);
    if (!(t > 0) || !(f > 1)) { status.textContent = "top concentration > 0 and factor > 1, please"; return; }
    pickedWells().forEach(function (w) {
      var rec = wells[w] && wells[w].role !== "empty" ? wells[w] : { role: role.value === "empty" ? "standard" : role.value };
      rec.conc = Number((t / Math.pow(f, steps.indexOf(step(w)))).toPrecision(6));
      wells[w] = rec;
    });
    paint();
  }
  function template() {
    // a common sandwich ELISA plate: 7 standards (two-fold from the top) and a blank in
    // duplicate in columns 1-2, two controls in A3-B4, samples in duplicate side by side
    wells = {};
    ROWS.forEach(function (r, i) {
      for (var c = 1; c <= 2; c++) { wells[r + c] = i < 7 ? { role: "standard", conc: Number((Number(top.value || 1000) / Math.pow(Number(factor.value || 2), i)).toPrecision(6)) } : { role: "blank" }; }
    });
    [["A", "QC-low"], ["B", "QC-high"]].forEach(function (q) { wells[q[0] + 3] = { role: "control", sample: q[1] }; wells[q[0] + 4] = { role: "control", sample: q[1] }; });
    var n = 1;
    for (var c = 3; c <= 11; c += 2) {
      ROWS.forEach(function (r) {
        if (c === 3 && (r === "A" || r === "B")) { return; }
        var id = "S" + String(n++).padStart(2, "0");
        wells[r + c] = { role: "sample", sample: id, dilution: 2 };
        wells[r + (c + 1)] = { role: "sample", sample: id, dilution: 2 };
      });
    }
    clearPicked(); paint();
    status.textContent = "Template loaded: give the controls their expected conc, then make the TOML.";
  }
  function makeToml() {
    var meta = {};
    Object.keys(expt).forEach(function (k) { if (expt[k].value) { meta[k] = expt[k].value; } });
    fetch("/api/layout/toml", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ wells: wells, expt: meta }) })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { status.textContent = res.body.error; status.className = "banner error"; download.hidden = true; return; }
        toml.value = res.body.toml;
        status.textContent = "The layout loads: download it, or use it on the New plate page."; status.className = "banner ok";
        download.href = URL.createObjectURL(new Blob([res.body.toml], { type: "application/toml" }));
        download.download = (meta.plate_id || "layout") + ".toml";
        download.hidden = false;
      });
  }
  var tools = el("div", { class: "tools" }, [
    el("fieldset", {}, [el("legend", {}, ["Paint the picked wells"]), field("Role", role), field("Sample id", sample), field("Conc", conc), field("Dilution", dilution), button("Apply to picked wells", "apply", apply)]),
    el("fieldset", {}, [el("legend", {}, ["Serial dilution over the picked wells"]), field("Top conc", top), field("Factor", factor), field("Steps", across), button("Fill", "serial", serial)]),
    el("fieldset", {}, [el("legend", {}, ["Experiment"]), field("Analyte", expt.analyte), field("Plate id", expt.plate_id), field("Date", expt.date), field("Kit lot", expt.lot)]),
    button("Start from the ELISA template", "template", template), " ", button("Make the TOML", "make", makeToml),
  ]);
  root.append(el("div", { class: "editor" }, [el("div", {}, [el("p", { class: "muted" }, ["Drag over wells to pick them (Shift adds to the pick)."]), grid, status, download, toml]), tools]));
  paint();
})();
