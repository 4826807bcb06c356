/* tmcode site diagrams: zoom and pan, and Mermaid drawn from the bundled copy (no CDN). */
(function () {
  "use strict";

  function setup(figure) {
    var viewport = figure.querySelector(".tmcode-viewport");
    var picture = viewport && viewport.firstElementChild;
    if (!picture) return;
    var scale = 1;
    var natural = function () {
      if (picture.tagName === "IMG") return picture.naturalWidth || picture.width;
      var svg = picture.querySelector("svg");
      return svg ? svg.getBBox().width || svg.clientWidth : picture.scrollWidth;
    };
    var apply = function () {
      if (picture.tagName === "IMG") {
        picture.style.width = Math.round(natural() * scale) + "px";
        picture.style.maxWidth = "none";
      } else {
        picture.style.zoom = String(scale);
      }
      var shown = figure.querySelector("[data-zoom-level]");
      if (shown) shown.textContent = Math.round(scale * 100) + "%";
    };
    var fit = function () {
      var width = natural();
      if (width > 0) scale = Math.min(1, (viewport.clientWidth - 8) / width);
      apply();
    };
    figure.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "in") scale = Math.min(scale * 1.25, 8);
        else if (how === "out") scale = Math.max(scale / 1.25, 0.1);
        else if (how === "fit") return fit();
        else scale = 1;
        apply();
      });
    });
    viewport.addEventListener("wheel", function (event) {
      if (!event.ctrlKey) return;
      event.preventDefault();
      scale = event.deltaY < 0 ? Math.min(scale * 1.1, 8) : Math.max(scale / 1.1, 0.1);
      apply();
    }, { passive: false });
    var drag = null;
    viewport.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
      viewport.classList.add("tmcode-dragging");
    });
    window.addEventListener("pointermove", function (event) {
      if (!drag) return;
      viewport.scrollLeft = drag.left - (event.clientX - drag.x);
      viewport.scrollTop = drag.top - (event.clientY - drag.y);
    });
    window.addEventListener("pointerup", function () {
      drag = null;
      viewport.classList.remove("tmcode-dragging");
    });
    var start = function () {
      // Readable first: full size, unless the whole picture fits at no less than 60 %.
      var width = natural();
      if (width > 0 && viewport.clientWidth / width >= 0.6) fit();
      else apply();
    };
    if (picture.tagName === "IMG" && !picture.complete) picture.addEventListener("load", start);
    else start();
  }

  function draw() {
    var sources = document.querySelectorAll("pre.tmcode-mermaid");
    if (!sources.length || typeof window.mermaid === "undefined") {
      return Promise.resolve();
    }
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", flowchart: { htmlLabels: false } });
    return window.mermaid.run({ nodes: sources }).catch(function (error) {
      console.error("tmcode: Mermaid could not draw a diagram", error);
    });
  }

  function ready() {
    draw().then(function () {
      document.querySelectorAll(".tmcode-diagram").forEach(setup);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
