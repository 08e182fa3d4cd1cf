// Hovering or focusing a TLDR/summary sentence highlights the article sentences it cites.
document.addEventListener("DOMContentLoaded", () => {
  const marks = (el) => (el.dataset.src || "").split(" ").filter(Boolean).map((s) => document.getElementById("src-" + s)).filter(Boolean);
  const show = (el, on) => { el.classList.toggle("active", on); marks(el).forEach((m, i) => { m.classList.toggle("hl", on); if (on && i === 0) m.scrollIntoView({block: "center", behavior: "smooth"}); }); };
  document.querySelectorAll(".sum").forEach((el) => {
    ["mouseenter", "focus"].forEach((ev) => el.addEventListener(ev, () => show(el, true)));
    ["mouseleave", "blur"].forEach((ev) => el.addEventListener(ev, () => show(el, false)));
  });
});
