// Loaded with glightbox at the first click on a figure (the lightbox script that
// book/mkdocs_hook.py puts in each page), not with every page. The zoom view shows a
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
