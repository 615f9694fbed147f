// Dev server only: shows the last build's error report over the page until a build succeeds.
(function () {
  "use strict";
  fetch("/__stride/status", { cache: "no-store" })
    .then(function (response) { return response.json(); })
    .then(function (status) {
      if (!status.report) { return; }
      var box = document.createElement("div");
      box.id = "stride-error-overlay";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
        "background:rgba(20,0,0,.92);color:#fff;padding:2rem;font:14px/1.5 monospace;";
      var title = document.createElement("h2");
      title.textContent = "Build failed: the last good site is shown underneath";
      var report = document.createElement("pre");
      report.style.whiteSpace = "pre-wrap";
      report.textContent = status.report;
      box.appendChild(title);
      box.appendChild(report);
      document.body.appendChild(box);
    })
    .catch(function () { /* server stopped: nothing to show */ });
})();
