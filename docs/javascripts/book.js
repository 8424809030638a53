// Material wraps wide tables in a horizontally scrolling box; keyboard users must be able
// to focus it to scroll (WCAG 2.1.1). Runs after every page load, instant navigation included.
document$.subscribe(function () {
  document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (box) {
    box.tabIndex = 0;
  });
});
