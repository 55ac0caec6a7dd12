// Shows the name and status of the country under the pointer or the keyboard focus in
// #map-caption (aria-live), so sighted keyboard users see what a screen reader announces.
// The map works without it: every shape has a <title> and an aria-label.
(function () {
  var map = document.querySelector(".world-map");
  var caption = document.getElementById("map-caption");
  // Listen on the wrapper, not the <svg>: a focus listener on the <svg> makes Chromium
  // give the <svg> itself a Tab stop.
  var wrap = map && map.closest(".map-wrap");
  if (!wrap || !caption) return;
  function labelOf(target) {
    var shape = target.closest("[aria-label]");
    return shape && map.contains(shape) ? shape.getAttribute("aria-label") : null;
  }
  function show(event) {
    var label = labelOf(event.target);
    if (label) caption.textContent = label;
  }
  wrap.addEventListener("focusin", show);
  wrap.addEventListener("mouseover", show);
})();
