// The edition being read: "en" or "zh" (the page's <html lang>).
function bookEdition() {
  return (document.documentElement.lang || "en").slice(0, 2);
}

// A table sits in a horizontally scrolling box; keyboard users must be able to focus it to
// scroll (WCAG 2.1.1). The build puts each in its box (focusable); Material's script wraps it
// once more, in a box that does not scroll and takes no focus. Runs after every page load,
// instant navigation included.
document$.subscribe(function () {
  document.querySelectorAll(".md-typeset__scrollwrap:not(.md-typeset__table > .md-typeset__scrollwrap)").forEach(function (box) {
    box.tabIndex = 0;
  });
});

// A piece of an inline formula wider than the column (a large font, a narrow phone) scrolls
// inside its own box (book.css .book-math-inline); such a box must be focusable to be scrolled
// from the keyboard, and only such a box, so that readers do not tab through every formula.
function bookFocusableFormulas() {
  document.querySelectorAll(".book-math-inline").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
    else box.removeAttribute("tabindex");
  });
}
document$.subscribe(bookFocusableFormulas);
window.addEventListener("resize", bookFocusableFormulas);

// On a phone, the boxes beside the text (how to run the chapter, its tested claims) open
// folded to their title, so that the chapter's text comes first; a tap opens them. Only at
// a page's first display: a box the reader opened stays open.
document$.subscribe(function () {
  if (!window.matchMedia("(max-width: 44.9375em)").matches) return;
  document.querySelectorAll("details.book-phone-folded:not([data-ready])").forEach(function (box) {
    box.dataset.ready = "1";
    box.open = false;
  });
});

// Long code blocks open folded (book/mkdocs_hook.py fold_long_code, drawn folded by book.css
// from the first paint): the button below opens the whole block and folds it again. A block
// whose page highlights the lines it discusses shows those lines when folded.
document$.subscribe(function () {
  document.querySelectorAll(".book-code-fold:not([data-ready])").forEach(function (fold) {
    fold.dataset.ready = "1";
    var button = fold.querySelector(".book-code-fold-toggle");
    var code = fold.querySelector("pre > code");
    if (!button || !code) return;
    var first = parseInt(fold.dataset.first || "1", 10);
    var label = function () {
      var open = fold.classList.contains("book-code-open");
      var zh = bookEdition() === "zh";
      button.textContent = open
        ? (zh ? "折叠代码" : "Fold the code")
        : (zh ? "显示全部 " + fold.dataset.lines + " 行" : "Show all " + fold.dataset.lines + " lines");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    };
    // Scrolled inside its own box to the lines shown (a scroll moves no other content).
    var place = function () {
      var open = fold.classList.contains("book-code-open");
      if (open || first <= 1) { code.scrollTop = 0; return; }
      var style = getComputedStyle(code);
      code.scrollTop = Math.round((first - 1) * parseFloat(style.lineHeight));
    };
    button.addEventListener("click", function () {
      fold.classList.toggle("book-code-open");
      label();
      place();
    });
    place();
  });
});

// The explorer's script and styles (about 30 KB) load only on a page that has the explorer,
// so that no chapter's first visit pays for them; instant navigation to the page loads them
// too. The styles come first, so the explorer is drawn styled.
// Their addresses come from this script's own, read once as it runs: a relative src read later
// would resolve against the page instant navigation has moved to, not the one that loaded it.
var bookScriptUrl = document.currentScript ? document.currentScript.src
  : document.querySelector('script[src*="javascripts/book.js"]').src;
document$.subscribe(function () {
  if (!document.getElementById("book-explorer") || document.querySelector("script[data-book-explorer]")) return;
  var script = document.createElement("script");
  script.src = bookScriptUrl.replace(/book\.js(\?.*)?$/, "explorer.js");
  script.dataset.bookExplorer = "1";
  var styles = document.createElement("link");
  styles.rel = "stylesheet";
  styles.href = bookScriptUrl.replace(/javascripts\/book\.js(\?.*)?$/, "stylesheets/explorer.css");
  styles.onload = styles.onerror = function () { document.body.appendChild(script); };
  document.head.appendChild(styles);
});

// The language switcher opens the page being read in the other edition, which has it at the
// same path under zh/. Instant navigation does not redraw the header, so its links are set
// again from the address after every navigation; switching edition loads the page afresh,
// so that its search uses that edition's index. The site's root is taken once, at the first
// load, from Material's configuration (relative to that first page).
(function () {
  var config = document.getElementById("__config");
  if (!config || !document.querySelector(".md-select__link[hreflang]")) return;
  var root = new URL(JSON.parse(config.textContent).base + "/", location.href).href;
  document$.subscribe(function () {
    if (location.href.indexOf(root) !== 0) return;
    var path = location.href.slice(root.length).replace(/^zh\//, "");
    document.querySelectorAll(".md-select__link[hreflang]").forEach(function (link) {
      var lang = link.getAttribute("hreflang");
      // A chapter's notebook exists once, in English: its Chinese counterpart is the chapter.
      link.href = root + (lang === "en" ? path : lang + "/" + path.replace(/^notebooks\//, ""));
    });
  });
  window.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".md-select__link[hreflang]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (link.getAttribute("hreflang") !== bookEdition()) location.assign(link.href);
  }, true);
})();
