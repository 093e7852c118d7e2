// Shows every time in the visitor's own zone; the markup keeps UTC for readers without
// JavaScript and for machines.
(function () {
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || zone === "UTC" || zone === "Etc/UTC") return;
  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    el.title = el.textContent;
    el.textContent = format.format(when);
  });
  document.querySelectorAll(".tz-note").forEach(function (el) {
    el.textContent = ", converted here to your time zone (" + zone + ")";
  });
})();
