// Times in the viewer's own time zone: every <time datetime="..."> is rewritten in the
// browser's zone, with the UTC time on hover; relative times ("in 2h") keep their words.
// Forms with a hidden input[data-viewer-zone] send the zone, so typed times mean local time.
(function () {
  "use strict";
  let zone = "UTC";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch (err) { /* an old browser: UTC */ }
  const local = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });

  function utc(moment) {
    return moment.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  document.querySelectorAll("time[datetime]").forEach((node) => {
    const moment = new Date(node.getAttribute("datetime"));
    if (isNaN(moment.getTime())) return;
    if (node.hasAttribute("data-relative")) {
      node.title = local.format(moment) + " (" + utc(moment) + ")";
    } else {
      node.textContent = local.format(moment);
      node.title = utc(moment);
    }
  });
  document.querySelectorAll("input[data-viewer-zone]").forEach((input) => {
    if (!input.value) input.value = zone;
  });
})();
