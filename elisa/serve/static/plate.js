// elisa serve, plate page: click wells of the plate map to select them for masking.
// The map is the plate report's SVG: each well is a <g> whose <title> starts with its name.
(function () {
  "use strict";
  var input = document.getElementById("wells");
  var map = document.querySelector("#map svg.platemap");
  if (!input || !map) { return; }
  var selected = [];
  function show() { input.value = selected.join(" "); }
  map.querySelectorAll("g").forEach(function (g) {
    var title = g.querySelector(":scope > title");
    if (!title) { return; }
    var well = title.textContent.split(" · ")[0].trim();
    if (!/^[A-P][0-9]{1,2}$/.test(well)) { return; }
    g.classList.add("well");
    g.setAttribute("data-well", well);
    g.addEventListener("click", function () {
      var at = selected.indexOf(well);
      if (at >= 0) { selected.splice(at, 1); g.classList.remove("selected"); }
      else { selected.push(well); g.classList.add("selected"); }
      show();
    });
  });
  input.addEventListener("change", function () {
    selected = input.value.toUpperCase().split(/[\s,]+/).filter(Boolean);
    map.querySelectorAll("g.well").forEach(function (g) {
      g.classList.toggle("selected", selected.indexOf(g.getAttribute("data-well")) >= 0);
    });
  });
})();
