// The dashboard's only script: confirm flips and show the canary percentage when it applies.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  for (const form of document.querySelectorAll("form.flip")) {
    const state = form.querySelector("select[name=state]");
    const percent = form.querySelector(".percent");
    const sync = () => { percent.hidden = state.value !== "canary"; };
    state.addEventListener("change", sync);
    sync();
  }
});
