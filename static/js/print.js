// A button with data-print opens the browser's print dialog (the page's print stylesheet does the rest).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
