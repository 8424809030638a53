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

// The explorer's script (about 25 KB) loads only on a page that has the explorer, so that
// no chapter's first visit pays for it; instant navigation to the page loads it too.
document$.subscribe(function () {
  if (!document.getElementById("book-explorer") || document.querySelector("script[data-book-explorer]")) return;
  var own = document.querySelector('script[src*="javascripts/book.js"]');
  var script = document.createElement("script");
  script.src = own.src.replace(/book\.js(\?.*)?$/, "explorer.js");
  script.dataset.bookExplorer = "1";
  document.body.appendChild(script);
});
