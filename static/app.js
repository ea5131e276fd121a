// Progressive enhancements only; every page works without JavaScript.
document.addEventListener("submit", (event) => {
  const form = event.target;
  // A second click while the first request is on its way would only queue another request;
  // the server is safe either way, this just keeps the page calm.
  for (const button of form.querySelectorAll("button[type=submit]")) {
    if (button.dataset.submitting) { event.preventDefault(); return; }
    button.dataset.submitting = "1";
    button.setAttribute("aria-busy", "true");
  }
});
window.addEventListener("pageshow", () => {
  for (const button of document.querySelectorAll("button[data-submitting]")) {
    delete button.dataset.submitting;
    button.removeAttribute("aria-busy");
  }
});
