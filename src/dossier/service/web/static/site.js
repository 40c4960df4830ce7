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
});
