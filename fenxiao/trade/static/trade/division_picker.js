// The province/city/district picker of the address form (no framework).  Each <select
// data-division-level> is filled from /trade/divisions/?parent=<code> when the level above changes.
(function () {
  "use strict";
  function setup(form) {
    var levels = ["province", "city", "district"];
    var selects = levels.map(function (level) {
      return form.querySelector("select[data-division-level=" + level + "]");
    });
    if (selects.some(function (s) { return !s; })) return;
    var url = form.getAttribute("data-divisions-url");
    function clear(select) {
      var placeholder = select.options[0] ? select.options[0].cloneNode(true) : new Option("", "");
      placeholder.value = "";
      select.innerHTML = "";
      select.appendChild(placeholder);
    }
    function fill(index) {
      for (var i = index + 1; i < selects.length; i++) clear(selects[i]);
      var parent = selects[index].value;
      var next = selects[index + 1];
      if (!parent || !next) return;
      next.disabled = true;
      fetch(url + "?parent=" + encodeURIComponent(parent), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { divisions: [] }; })
        .then(function (body) {
          body.divisions.forEach(function (d) { next.appendChild(new Option(d.name, d.code)); });
          next.disabled = false;
          next.setAttribute("data-loaded", parent);
        });
    }
    selects.forEach(function (select, index) {
      if (index < selects.length - 1) {
        select.addEventListener("change", function () { fill(index); });
        // Chosen before this script ran (a slow page) while the next list is still empty: fill it.
        if (select.value && selects[index + 1].options.length <= 1) fill(index);
      }
    });
    form.setAttribute("data-picker-ready", "yes");
  }
  document.querySelectorAll("form[data-divisions-url]").forEach(setup);
})();
