// psoreg's only script of its own (a static file: the Content-Security-Policy allows no inline
// script). On a conflict page, "Use mine" copies the user's unsaved value back into the form.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-use-mine]");
  if (!button) return;
  event.preventDefault();
  var names = button.dataset.useMine === "*"
    ? Array.prototype.map.call(document.querySelectorAll("[data-mine-for]"), function (b) { return b.dataset.mineFor; })
    : [button.dataset.useMine];
  names.forEach(function (name) {
    var source = document.querySelector('[data-mine-for="' + name + '"]');
    var input = document.querySelector('[name="' + name + '"]');
    if (source && input) {
      input.value = source.dataset.value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.classList.add("reapplied");
    }
  });
});
document.addEventListener("submit", function (event) {
  var message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
// The live PASI score names the grid cell that is wrong: highlight that cell (and only it).
document.addEventListener("htmx:afterSwap", function (event) {
  if (!event.detail.target || event.detail.target.id !== "pasi-score") return;
  document.querySelectorAll("table.grid input.invalid").forEach(function (input) {
    input.classList.remove("invalid");
    input.removeAttribute("aria-invalid");
  });
  var bad = event.detail.target.querySelector("[data-field]");
  if (bad) {
    var input = document.querySelector('table.grid [name="' + bad.dataset.field + '"]');
    if (input) {
      input.classList.add("invalid");
      input.setAttribute("aria-invalid", "true");
    }
  }
});
