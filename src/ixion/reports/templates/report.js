// The HTML report's script, inlined into the page and allowed by its hash. It reads only
// the findings' data-* attributes (severity names and numbers the writer computed: host and
// family by position in the filters' lists, and each finding's rank in every order), and
// never puts report text into markup. Without it the page shows every finding expanded.
"use strict";
(function () {
  const list = document.getElementById("findings");
  const controls = document.getElementById("controls");
  if (list === null || controls === null) {
    return;
  }
  document.documentElement.classList.add("js");
  controls.hidden = false;

  const findings = Array.from(list.querySelectorAll(":scope > .finding"));
  const severityBoxes = Array.from(controls.querySelectorAll("input[name=severity]"));
  const hostFilter = document.getElementById("filter-host");
  const familyFilter = document.getElementById("filter-family");
  const sortBy = document.getElementById("sort-by");
  const shownCount = document.getElementById("shown-count");

  function setOpen(finding, open) {
    finding.classList.toggle("open", open);
    finding.querySelector(":scope > .finding-head").setAttribute("aria-expanded", String(open));
  }

  function applyFilters() {
    const severities = new Set(severityBoxes.filter((box) => box.checked).map((box) => box.value));
    const host = hostFilter.value;
    const family = familyFilter.value;
    let shown = 0;
    for (const finding of findings) {
      const visible =
        severities.has(finding.dataset.severity) &&
        (host === "" || finding.dataset.host === host) &&
        (family === "" || finding.dataset.family === family);
      finding.hidden = !visible;
      shown += visible ? 1 : 0;
    }
    shownCount.textContent = String(shown);
  }

  function applySort() {
    // data-by-<key> holds the finding's position in that order, computed by the writer.
    const attribute = "by" + sortBy.value.charAt(0).toUpperCase() + sortBy.value.slice(1);
    const rank = (finding) => Number(finding.dataset[attribute]);
    const sorted = findings.slice().sort((a, b) => rank(a) - rank(b));
    const fragment = document.createDocumentFragment();
    for (const finding of sorted) {
      fragment.appendChild(finding);
    }
    list.appendChild(fragment);
  }

  for (const finding of findings) {
    setOpen(finding, false);
    finding.querySelector(":scope > .finding-head").addEventListener("click", () => {
      setOpen(finding, !finding.classList.contains("open"));
    });
  }
  for (const box of severityBoxes) {
    box.addEventListener("change", applyFilters);
  }
  hostFilter.addEventListener("change", applyFilters);
  familyFilter.addEventListener("change", applyFilters);
  sortBy.addEventListener("change", applySort);
  document.getElementById("expand-all").addEventListener("click", () => {
    findings.forEach((finding) => setOpen(finding, true));
  });
  document.getElementById("collapse-all").addEventListener("click", () => {
    findings.forEach((finding) => setOpen(finding, false));
  });
  // A reload may restore the controls' last values: show what they say.
  applyFilters();
  applySort();
})();
