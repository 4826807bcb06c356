/* tmcode site diagrams: zoom and pan, and Mermaid drawn from the bundled copy (no CDN). */
(function () {
  "use strict";

  function setup(figure) {
    var viewport = figure.querySelector(".tmcode-viewport");
    var picture = viewport && viewport.firstElementChild;
    if (!picture) return;
    var scale = 1;
    // Mermaid draws at the container's width (width 100%, a max-width): give it its own size.
    var drawn = picture.tagName === "IMG" ? null : picture.querySelector("svg");
    if (drawn && drawn.style.maxWidth) {
      drawn.style.width = drawn.style.maxWidth;
      drawn.style.maxWidth = "none";
      drawn.removeAttribute("width");
    }
    var natural = function () {
      if (picture.tagName === "IMG") {
        return { w: picture.naturalWidth || picture.width, h: picture.naturalHeight || picture.height };
      }
      var svg = picture.querySelector("svg");
      var box = svg ? svg.getBoundingClientRect() : picture.getBoundingClientRect();
      var zoom = Number(picture.style.zoom || 1);
      return { w: box.width / zoom, h: box.height / zoom };
    };
    var apply = function () {
      if (picture.tagName === "IMG") {
        picture.style.width = Math.round(natural().w * scale) + "px";
        picture.style.maxWidth = "none";
      } else {
        picture.style.zoom = String(scale);
      }
      var shown = figure.querySelector("[data-zoom-level]");
      if (shown) shown.textContent = Math.round(scale * 100) + "%";
    };
    // The scale at which the whole picture fits the viewport (never above full size).
    var whole = function () {
      var size = natural();
      if (!(size.w > 0 && size.h > 0)) return 1;
      var height = window.innerHeight * 0.75;
      return Math.min(1, (viewport.clientWidth - 8) / size.w, (height - 8) / size.h);
    };
    var fit = function () {
      scale = whole();
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
      // Readable first: the whole picture if its labels stay at 75 % or more, else 75 %
      // (Graphviz's 10 pt labels stay 10 px high) and the rest is a drag away.
      scale = Math.max(whole(), 0.75);
      apply();
    };
    if (picture.tagName === "IMG" && !picture.complete) picture.addEventListener("load", start);
    else start();
  }

  function draw() {
    var sources = document.querySelectorAll("pre.tmcode-mermaid");
    if (!sources.length || typeof window.mermaid === "undefined") {
      return Promise.resolve();
    }
    // The look of the Graphviz drawings: white shapes, dashed grey trust boundaries.
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "base",
      themeVariables: {
        fontFamily: "Helvetica, Arial, sans-serif",
        primaryColor: "#ffffff",
        primaryBorderColor: "#333333",
        primaryTextColor: "#000000",
        lineColor: "#333333",
        clusterBkg: "#ffffff",
        clusterBorder: "#607d8b",
        edgeLabelBackground: "#ffffff"
      },
      themeCSS: ".cluster rect { stroke-dasharray: 5 3; }",
      flowchart: { htmlLabels: false }
    });
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
