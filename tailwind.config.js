/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ["./views/**/*.templ", "./views/**/*.go", "./handlers/**/*.go", "./static/js/app.js"],
  // Classes built from a variable ("badge-" + tone) that the scanner cannot see.
  safelist: [
    "notice-success", "notice-error", "notice-info",
    "badge-gray", "badge-green", "badge-amber", "badge-red", "badge-indigo",
  ],
  theme: { extend: {} },
  plugins: [],
};
