// dossier 信贷档案: the pages' few behaviours. Served from /static (the Content-Security-Policy allows no
// inline script): each attaches only when its element is on the page.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Print buttons (completeness overview).
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }

  // Generate page: fill the text box with the chosen kind's example, so an officer starts from a valid input.
  const example = document.getElementById("load-example");
  if (example) {
    example.addEventListener("click", async (e) => {
      e.preventDefault();
      const kind = document.getElementById("kind").value;
      const r = await fetch("/api/v1/kinds/" + encodeURIComponent(kind) + "/example");
      if (r.ok) document.getElementById("text").value = JSON.stringify(await r.json(), null, 2);
    });
  }

  // Job progress page: poll the runs' state each second; once every run is finished, reload the page,
  // which then offers the result (or shows the error).
  const progress = document.getElementById("job-progress");
  if (progress && progress.dataset.finished === "no") {
    const url = "/jobs/progress.json?runs=" + encodeURIComponent(progress.dataset.runs);
    const poll = async () => {
      const r = await fetch(url, { headers: { Accept: "application/json" } });
      if (!r.ok) return;
      const state = await r.json();
      for (const run of state.runs) {
        const row = progress.querySelector(`tr.job[data-run="${run.id}"]`);
        if (!row) continue;
        row.querySelector(".job-status").textContent = run.status_label;
        const bar = row.querySelector("progress");
        bar.max = run.total || 1;
        bar.value = run.done;
        row.querySelector(".job-count").textContent = `${run.done}/${run.total}`;
      }
      if (state.finished) window.location.reload();
      else window.setTimeout(poll, 1000);
    };
    window.setTimeout(poll, 500);
  }
});
