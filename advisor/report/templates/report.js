// Says so above each table or chart wider than its box, which then scrolls sideways.
(function () {
  "use strict";
  var boxes = document.querySelectorAll(".table-wrap, figure.chart-box");
  function mark() {
    Array.prototype.forEach.call(boxes, function (box) {
      var hint = box.previousElementSibling;
      var has = hint && hint.classList.contains("scroll-hint");
      var wide = box.scrollWidth > box.clientWidth + 1;
      if (wide && !has) {
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.textContent = "Wider than the page: scroll sideways";
        box.parentNode.insertBefore(hint, box);
      } else if (!wide && has) {
        hint.remove();
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();

// Searching, filtering and sorting the examples table; the page reads in full without it.
(function () {
  "use strict";
  var table = document.getElementById("examples-table");
  var controls = document.getElementById("example-controls");
  if (!table || !controls) {
    return;
  }
  document.documentElement.classList.add("js");
  controls.hidden = false;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var texts = rows.map(function (row) {
    return row.textContent.toLowerCase();
  });
  var search = document.getElementById("example-search");
  var show = document.getElementById("example-show");
  var count = document.getElementById("example-count");

  function matches(row, choice) {
    var group = row.getAttribute("data-group");
    var flags = " " + (row.getAttribute("data-flags") || "") + " ";
    if (choice === "all") {
      return true;
    }
    if (choice === "disagree") {
      return group === "inc_better" || group === "ch_better";
    }
    if (choice.indexOf("flag:") === 0) {
      return flags.indexOf(" " + choice.slice(5) + " ") !== -1;
    }
    return group === choice;
  }

  function filter() {
    var query = search.value.trim().toLowerCase();
    var choice = show.value;
    var shown = 0;
    rows.forEach(function (row, i) {
      var keep = (!query || texts[i].indexOf(query) !== -1) && matches(row, choice);
      row.hidden = !keep;
      if (keep) {
        shown += 1;
      }
    });
    count.textContent = shown + " of " + rows.length + " examples shown";
  }

  function value(row, column) {
    var cell = row.cells[column];
    var v = cell ? cell.getAttribute("data-v") : null;
    return v === null ? (cell ? cell.textContent : "") : v;
  }

  function sortBy(header) {
    var column = header.cellIndex;
    var numeric = header.getAttribute("data-sort") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var order = rows.map(function (row, i) {
      return { row: row, key: value(row, column), i: i };
    });
    order.sort(function (a, b) {
      var x = a.key;
      var y = b.key;
      var c;
      if (numeric) {
        x = x === "" ? -Infinity : parseFloat(x);
        y = y === "" ? -Infinity : parseFloat(y);
        c = x - y;
      } else {
        c = x.localeCompare(y);
      }
      return (ascending ? c : -c) || a.i - b.i;
    });
    var fragment = document.createDocumentFragment();
    order.forEach(function (o) {
      fragment.appendChild(o.row);
    });
    body.appendChild(fragment);
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    if (th.hasAttribute("data-sort")) {
      th.tabIndex = 0;
      th.addEventListener("click", function () {
        sortBy(th);
      });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(th);
        }
      });
    }
  });
  search.addEventListener("input", filter);
  show.addEventListener("change", filter);
  filter();
})();
