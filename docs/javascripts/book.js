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

// The zoom view (glightbox, loaded at the first click on a figure: book/mkdocs_hook.py) shows a
// figure as large as the screen allows; on a phone that is the phone's width, too small to read
// a drawing made for the desktop. A click or a tap on the figure enlarges it to one and a half
// times its drawn size, in a box that pans (a finger or a mouse drags it, the wheel scrolls
// it), at the point that was tapped; a second click or tap brings it back. (glightbox's own
// zoom, off in mkdocs.yml, does nothing on a screen narrower than 769 px.)
(function () {
  var ZOOM = 1.5;
  var FIGURE = ".gslide.current .gslide-image img", ENLARGED = ".gslide.book-zoomed .gslide-media";
  function within(event, selector) {
    return event.target.closest ? event.target.closest(selector) : null;
  }
  function toggle(img, clientX, clientY) {
    var slide = img.closest(".gslide"), box = img.closest(".gslide-media");
    var before = img.getBoundingClientRect();
    if (!slide.classList.toggle("book-zoomed")) {
      box.scrollLeft = box.scrollTop = 0;
      return;
    }
    var width = Math.max(img.naturalWidth, before.width) * ZOOM;
    img.style.setProperty("--book-zoom-width", Math.round(width) + "px");
    // The point tapped stays under the finger (as near as the box's edges allow).
    var x = (clientX - before.left) / before.width, y = (clientY - before.top) / before.height;
    var frame = box.getBoundingClientRect();
    box.scrollLeft = x * img.offsetWidth - (clientX - frame.left);
    box.scrollTop = y * img.offsetHeight - (clientY - frame.top);
  }
  document.addEventListener("click", function (event) {
    var img = within(event, FIGURE);
    if (!img) return;
    var box = img.closest(".gslide-media");
    if (box.dataset.bookDragged) { delete box.dataset.bookDragged; return; }
    toggle(img, event.clientX, event.clientY);
  }, true);
  // A tap: glightbox's touch handling keeps the browser from making it a click.
  var touch = null;
  document.addEventListener("touchstart", function (event) {
    touch = event.touches.length === 1 && within(event, FIGURE)
      ? { x: event.touches[0].clientX, y: event.touches[0].clientY, time: Date.now() } : null;
  }, { capture: true, passive: true });
  document.addEventListener("touchend", function (event) {
    var img = within(event, FIGURE), end = event.changedTouches[0];
    if (!img || !touch || event.touches.length) return;
    var tap = Math.abs(end.clientX - touch.x) + Math.abs(end.clientY - touch.y) < 10 && Date.now() - touch.time < 500;
    touch = null;
    if (!tap) return;
    event.preventDefault();  // no click after it, which would toggle again
    toggle(img, end.clientX, end.clientY);
  }, { capture: true });
  // Enlarged, the figure is panned by the browser's own scrolling: glightbox's swipes (to the
  // next figure, or down to close) and its drag must not see the gestures.
  ["touchstart", "touchmove", "touchend"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (within(event, ENLARGED)) event.stopPropagation();
    }, { capture: true, passive: type !== "touchend" });
  });
  document.addEventListener("mousedown", function (event) {
    var box = within(event, ENLARGED);
    if (!box || event.button !== 0) return;
    event.stopPropagation();
    event.preventDefault();
    var x = event.clientX, y = event.clientY, left = box.scrollLeft, top = box.scrollTop, moved = false;
    function move(e) {
      moved = moved || Math.abs(e.clientX - x) + Math.abs(e.clientY - y) > 4;
      box.scrollLeft = left - (e.clientX - x);
      box.scrollTop = top - (e.clientY - y);
    }
    function up() {
      document.removeEventListener("mousemove", move, true);
      document.removeEventListener("mouseup", up, true);
      if (moved) box.dataset.bookDragged = "1";  // the click that ends a drag does not shrink it
    }
    document.addEventListener("mousemove", move, true);
    document.addEventListener("mouseup", up, true);
  }, true);
})();
