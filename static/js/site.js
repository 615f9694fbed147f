// Submits the newsletter form in place; without JavaScript the form posts to the thanks page.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-newsletter]");
  if (!window.fetch || !window.URLSearchParams || !window.FormData) { return; }
  Array.prototype.forEach.call(forms, function (form) {
    var status = form.querySelector(".form-status");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      if (!form.checkValidity()) { return; }
      event.preventDefault();
      button.disabled = true;
      status.classList.remove("is-error");
      status.textContent = "Sending…";
      fetch("/", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)).toString()
      }).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        status.textContent = status.getAttribute("data-success");
        form.reset();
      }).catch(function () {
        status.classList.add("is-error");
        status.textContent = status.getAttribute("data-failure");
      }).then(function () {
        button.disabled = false;
      });
    });
  });
})();
