// Material wraps wide tables in a horizontally scrolling box; keyboard users must be able
// to focus it to scroll (WCAG 2.1.1). Runs after every page load, instant navigation included.
document$.subscribe(function () {
  document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (box) {
    box.tabIndex = 0;
  });
});

// Long code blocks open folded (book/mkdocs_hook.py fold_long_code): the first lines show,
// a button below opens the whole block and folds it again.
document$.subscribe(function () {
  document.querySelectorAll(".book-code-fold:not([data-ready])").forEach(function (fold) {
    fold.dataset.ready = "1";
    fold.classList.add("book-code-folded");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "book-code-fold-toggle md-button";
    var label = function () {
      var folded = fold.classList.contains("book-code-folded");
      button.textContent = folded ? "Show all " + fold.dataset.lines + " lines" : "Fold the code";
      button.setAttribute("aria-expanded", folded ? "false" : "true");
    };
    button.addEventListener("click", function () {
      fold.classList.toggle("book-code-folded");
      label();
    });
    label();
    fold.appendChild(button);
  });
});
