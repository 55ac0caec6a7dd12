// Shows the name and status of the country under the pointer or the keyboard focus in
// #map-caption (aria-live), so sighted keyboard users see what a screen reader announces.
// The map works without it: every country's link (or keyboard stop) has a <title>, its
// accessible name and the browser's tooltip.
(function () {
  var map = document.querySelector(".world-map");
  var caption = document.getElementById("map-caption");
  // Listen on the wrapper, not the <svg>: a focus listener on the <svg> makes Chromium
  // give the <svg> itself a Tab stop.
  var wrap = map && map.closest(".map-wrap");
  if (!wrap || !caption) return;
  function labelOf(target) {
    var item = target.closest && target.closest("a, [tabindex]");
    if (!item || item === map || !map.contains(item)) return null;
    var title = item.querySelector("title");
    return title ? title.textContent : null;
  }
  function show(event) {
    var label = labelOf(event.target);
    if (label && caption.textContent !== label) caption.textContent = label;
  }
  wrap.addEventListener("focusin", show);
  wrap.addEventListener("mouseover", show);
})();
