// The Explore page: controls, charts and the order/chaos map, drawn as SVG from the
// measured grid, written by snippets/explore/explorer_grid.py (its publish()): the first view
// comes with the grid's axes in results/explorer_grid/first.json, every other setting in the
// slice of its activation, normalisation and skips, fetched when the reader first asks for it
// (results/explorer_grid.json holds them all, for download).
// The browser only decodes, looks up and draws what PyTorch measured at build time; all it
// computes is the colour of a map cell and which way the drawn gradient goes (for the verdict).
// Does nothing on pages without the explorer.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var PRESETS = {  // the initialiser each preset names, and its marker on the map
    default: ["U(±1/√n)", "circle"],
    xavier: ["xavier_normal_", "square"],
    he: ["kaiming_normal_", "triangle"],
    tanh_gain: ["xavier_normal_(gain=5/3)", "diamond"]
  };
  // Every word the explorer shows, in the page's language (<html lang>, set per edition).
  var STRINGS = {
    en: {
      labels: {
        linear: "linear", sigmoid: "sigmoid", tanh: "tanh", relu: "ReLU",
        leaky_relu: "LeakyReLU", elu: "ELU", gelu: "GELU"
      },
      norms: { none: "none", batch: "BatchNorm", layer: "LayerNorm" },
      skips: { none: "none", naive: "naive: h + f(h)", scaled: "scaled: h + f(h)/√L" },
      skipNames: { none: "none", naive: "naive", scaled: "scaled" },
      presets: { default: "nn.Linear default", xavier: "Xavier", he: "He", tanh_gain: "tanh gain 5/3" },
      skipToExplorer: "Skip to the explorer's controls", settings: "Network settings", activation: "Activation", weightScale: "Weight scale σ",
      libraryPresets: "Library presets", depth: "Depth L ", normalisation: "Normalisation",
      skipConnections: "Skip connections",
      layers: function (n) { return n + " layers"; },
      named: function (names) { return " (" + names.join(", ") + ")"; },
      presetTitle: function (code, sigma) { return code + ": σw = " + sigma; },
      layerAxis: "layer l (input → output)",
      gradTitle: "Gradient norms per layer",
      gradAria: function (first, last, depth) {
        return "Gradient norms per layer on a log axis: ‖∂L/∂hₗ‖ from " + first + " at layer 1 to " + last +
          " at layer " + depth + "; ‖∂L/∂Wₗ‖ alongside.";
      },
      measured: "measured", meanField: "mean-field χₗ",
      factorTitle: "Factor per layer ‖∂L/∂hₗ₋₁‖² / ‖∂L/∂hₗ‖²",
      factorAria: function (chi) {
        return "Measured factor per layer on a log axis" + (chi ? ", with the mean-field χ of each layer" : "") + "; a factor of 1 is level.";
      },
      forwardTitle: "Forward: spread (std) of the activations hₗ",
      forwardAria: function (first, last) {
        return "Spread of the activations per layer on a log axis, from " + first + " at layer 1 to " + last + ".";
      },
      mapTitle: "Order and chaos: log₁₀ first/last ‖∂L/∂h‖",
      mapSetting: function (act, norm, skip) { return act + ", normalisation " + norm + ", skips " + skip; },
      mapFull: function (title, setting) { return title + " (" + setting + ")"; },
      mapAria: function (title, setting) {
        return title + " (" + setting + "). Columns are the weight scales, rows the depths; " +
          "choose a cell with the arrow keys or a click to show it.";
      },
      cellsLabel: "Weight scale and depth",
      presetsOnMap: "Library presets on the map",
      scaleCaption: "colour: first/last ‖∂L/∂h‖", scaleMeaning: " (blue vanishes, red explodes)",
      criticalLegend: "critical σw",
      cellTitle: function (sigma, depth, value) { return "σw = " + sigma + ", depth " + depth + ": first/last = " + value; },
      presetMarker: function (name, sigma, xi) { return name + " (σw = " + sigma + "): depth scale ξ = " + xi; },
      mapAxis: "weight scale σw (rows: depth)",
      xiLevel: "over 300 layers (level over the 100 measured)",
      xi: function (xi, short) { return xi + " layers" + (short ? "" : " per e-fold of ‖∂L/∂h‖²"); },
      // The verdict (see verdict()): a headline, what the chart shows, what the tool flags.
      issues: {
        vanishing: "vanishing gradient", exploding: "exploding gradient", forward_collapses: "forward collapse",
        forward_explodes: "forward explosion", saturated: "saturated units", dead: "dead units"
      },
      healthyHeadline: "Healthy.", sentenceGap: " ",
      headline: function (names) {
        var text = names.length > 1 ? names.slice(0, -1).join(", ") + " and " + names[names.length - 1] : names[0];
        return text.charAt(0).toUpperCase() + text.slice(1) + ".";
      },
      gradient: {
        vanishes: function (depth, atLast, atFirst, decades, limit) {
          return "The gradient vanishes on its way back to the input: ‖∂L/∂hₗ‖ falls from " + atLast + " at layer " + depth +
            " to " + atFirst + " at layer 1, " + decades + " decades, beyond the diagnosis tool's limit of " + limit + ".";
        },
        explodes: function (depth, atLast, atFirst, decades, limit) {
          return "The gradient explodes on its way back to the input: ‖∂L/∂hₗ‖ grows from " + atLast + " at layer " + depth +
            " to " + atFirst + " at layer 1, " + decades + " decades, beyond the diagnosis tool's limit of " + limit + ".";
        },
        level: function (depth, atLast, atFirst, decades, limit) {
          return "The gradient stays within the diagnosis tool's limit on its way back to the input: ‖∂L/∂hₗ‖ goes from " + atLast +
            " at layer " + depth + " to " + atFirst + " at layer 1, within ±" + limit + " decades.";
        }
      },
      toolHealthy: function (trend, forward, limit) {
        if (trend === null || forward === null) return "The diagnosis tool raises no flag.";
        return "The diagnosis tool raises no flag: the weight gradients relative to the weights (‖∂L/∂Wₗ‖/‖Wₗ‖, fitted across " +
          "the layers) change by " + trend + " decades toward the input and the spread of the layer outputs by " + forward +
          " from the first layer to the last, both within ±" + limit + ", and no layer is saturated or dead.";
      },
      toolFlags: function (clauses) { return "The diagnosis tool flags " + clauses.join("; ") + "."; },
      flagClauses: {
        vanishing: function (trend, limit) {
          return "vanishing gradients: the weight gradients relative to the weights (‖∂L/∂Wₗ‖/‖Wₗ‖, fitted across the layers) " +
            "change by " + trend + " decades toward the input, beyond −" + limit;
        },
        exploding: function (trend, limit) {
          return "exploding gradients: the weight gradients relative to the weights (‖∂L/∂Wₗ‖/‖Wₗ‖, fitted across the layers) " +
            "change by " + trend + " decades toward the input, beyond +" + limit;
        },
        forward_collapses: function (forward, limit) {
          return "a forward collapse: the spread of the layer outputs changes by " + forward +
            " decades from the first layer to the last, beyond −" + limit;
        },
        forward_explodes: function (forward, limit) {
          return "a forward explosion: the spread of the layer outputs changes by " + forward +
            " decades from the first layer to the last, beyond +" + limit;
        },
        saturated: function (share, limit) { return "saturated units: " + share + " % of one layer's outputs are saturated, above " + limit + " %"; },
        dead: function (share, limit) { return "dead units: " + share + " % of one layer's units are dead, above " + limit + " %"; }
      },
      unflaggedGradient: function (direction, trend, limit, cancelled) {
        return "The tool does not call the gradient itself " + (direction === "vanishes" ? "vanishing" : "exploding") +
          " because it judges the weight gradients relative to the weights" +
          (trend === null ? "" : ", and these change by only " + trend + " decades, within ±" + limit) +
          (!cancelled ? "." : ": ∂L/∂Wₗ = δₗ·hₗ₋₁ᵀ, and toward the input the layer outputs " +
            (direction === "vanishes" ? "grow about as much as the gradient shrinks." : "shrink about as much as the gradient grows."));
      },
      facts: function (depth, ratio, draws, lo, hi, factor, chi) {
        return "Over " + depth + " layers the gradient's first/last ratio is " + ratio + " (median of " + draws +
          " networks; range " + lo + " to " + hi + "); mean measured factor per layer " + factor +
          (chi === null ? "" : ", mean-field χ of the same layers " + chi) + ".";
      },
      presetXi: function (name, xi) { return name + " " + xi; },
      mapNote: function (act, depth, presets) {
        return "Depth scale ξ of " + act + " without normalisation or skips, measured over " + depth + " layers: " +
          presets.join("; ") + ". Markers above the map are the presets; the dashed line is the mean-field critical σw (no normalisation, no skips).";
      },
      loadError: function (message) {
        return "The measured grid could not be loaded (" + message + "); the static map below shows the same data.";
      },
      sliceError: function (message) {
        return "The measurements of this setting could not be loaded (" + message + "); choose it again to retry.";
      }
    },
    zh: {
      labels: {
        linear: "线性", sigmoid: "sigmoid", tanh: "tanh", relu: "ReLU",
        leaky_relu: "LeakyReLU", elu: "ELU", gelu: "GELU"
      },
      norms: { none: "无", batch: "BatchNorm", layer: "LayerNorm" },
      skips: { none: "无", naive: "朴素：h + f(h)", scaled: "缩放：h + f(h)/√L" },
      skipNames: { none: "无", naive: "朴素", scaled: "缩放" },
      presets: { default: "nn.Linear 默认", xavier: "Xavier", he: "He", tanh_gain: "tanh 增益 5/3" },
      skipToExplorer: "跳到交互探索的设置", settings: "网络设置", activation: "激活函数", weightScale: "权重尺度 σ",
      libraryPresets: "库的预设", depth: "深度 L ", normalisation: "归一化",
      skipConnections: "跳跃连接",
      layers: function (n) { return n + " 层"; },
      named: function (names) { return "（" + names.join("、") + "）"; },
      presetTitle: function (code, sigma) { return code + "：σw = " + sigma; },
      layerAxis: "层 l（输入 → 输出）",
      gradTitle: "每层的梯度范数",
      gradAria: function (first, last, depth) {
        return "对数坐标下每层的梯度范数：‖∂L/∂hₗ‖ 从第 1 层的 " + first + " 到第 " + depth + " 层的 " + last +
          "；同时画出 ‖∂L/∂Wₗ‖。";
      },
      measured: "测量值", meanField: "平均场 χₗ",
      factorTitle: "每层因子 ‖∂L/∂hₗ₋₁‖² / ‖∂L/∂hₗ‖²",
      factorAria: function (chi) {
        return "对数坐标下测得的每层因子" + (chi ? "，以及每层的平均场 χ" : "") + "；因子为 1 表示平直。";
      },
      forwardTitle: "前向：激活 hₗ 的离散程度（标准差）",
      forwardAria: function (first, last) {
        return "对数坐标下每层激活的离散程度，从第 1 层的 " + first + " 到最后一层的 " + last + "。";
      },
      mapTitle: "有序与混沌：log₁₀ 第一层/最后一层 ‖∂L/∂h‖",
      mapSetting: function (act, norm, skip) { return act + "，归一化：" + norm + "，跳跃连接：" + skip; },
      mapFull: function (title, setting) { return title + "（" + setting + "）"; },
      mapAria: function (title, setting) {
        return title + "（" + setting + "）。各列为权重尺度，各行为深度；用方向键或点击选择一个格子即可显示该设置。";
      },
      cellsLabel: "权重尺度与深度",
      presetsOnMap: "图上的库预设",
      scaleCaption: "颜色：第一层/最后一层 ‖∂L/∂h‖", scaleMeaning: "（蓝：消失，红：爆炸）",
      criticalLegend: "临界 σw",
      cellTitle: function (sigma, depth, value) { return "σw = " + sigma + "，深度 " + depth + "：第一层/最后一层 = " + value; },
      presetMarker: function (name, sigma, xi) { return name + "（σw = " + sigma + "）：深度尺度 ξ = " + xi; },
      mapAxis: "权重尺度 σw（各行：深度）",
      xiLevel: "超过 300 层（在测量的 100 层上保持平直）",
      xi: function (xi, short) { return (short ? "" : "‖∂L/∂h‖² 每变化 e 倍需 ") + xi + " 层"; },
      issues: {
        vanishing: "梯度消失", exploding: "梯度爆炸", forward_collapses: "前向坍缩",
        forward_explodes: "前向爆炸", saturated: "饱和单元", dead: "死亡单元"
      },
      healthyHeadline: "健康。", sentenceGap: "",
      headline: function (names) { return names.join("、") + "。"; },
      gradient: {
        vanishes: function (depth, atLast, atFirst, decades, limit) {
          return "梯度在传回输入的途中消失：‖∂L/∂hₗ‖ 从第 " + depth + " 层的 " + atLast + " 降到第 1 层的 " + atFirst +
            "，减少 " + decades + " 个数量级，超出诊断工具 " + limit + " 个数量级的界限。";
        },
        explodes: function (depth, atLast, atFirst, decades, limit) {
          return "梯度在传回输入的途中爆炸：‖∂L/∂hₗ‖ 从第 " + depth + " 层的 " + atLast + " 增长到第 1 层的 " + atFirst +
            "，增加 " + decades + " 个数量级，超出诊断工具 " + limit + " 个数量级的界限。";
        },
        level: function (depth, atLast, atFirst, decades, limit) {
          return "梯度在传回输入的途中保持在诊断工具的界限之内：‖∂L/∂hₗ‖ 从第 " + depth + " 层的 " + atLast + " 变为第 1 层的 " +
            atFirst + "，在 ±" + limit + " 个数量级之内。";
        }
      },
      toolHealthy: function (trend, forward, limit) {
        if (trend === null || forward === null) return "诊断工具没有发出任何标记。";
        return "诊断工具没有发出任何标记：权重梯度相对于权重（‖∂L/∂Wₗ‖/‖Wₗ‖，对各层拟合）朝输入方向变化 " + trend +
          " 个数量级，各层输出的离散程度从第一层到最后一层变化 " + forward + " 个数量级，两者都在 ±" + limit +
          " 之内，也没有哪一层饱和或死亡。";
      },
      toolFlags: function (clauses) { return "诊断工具标记了" + clauses.join("；") + "。"; },
      flagClauses: {
        vanishing: function (trend, limit) {
          return "梯度消失：权重梯度相对于权重（‖∂L/∂Wₗ‖/‖Wₗ‖，对各层拟合）朝输入方向变化 " + trend + " 个数量级，超出 −" + limit;
        },
        exploding: function (trend, limit) {
          return "梯度爆炸：权重梯度相对于权重（‖∂L/∂Wₗ‖/‖Wₗ‖，对各层拟合）朝输入方向变化 " + trend + " 个数量级，超出 +" + limit;
        },
        forward_collapses: function (forward, limit) {
          return "前向坍缩：各层输出的离散程度从第一层到最后一层变化 " + forward + " 个数量级，超出 −" + limit;
        },
        forward_explodes: function (forward, limit) {
          return "前向爆炸：各层输出的离散程度从第一层到最后一层变化 " + forward + " 个数量级，超出 +" + limit;
        },
        saturated: function (share, limit) { return "饱和单元：某一层 " + share + "% 的输出饱和，超过 " + limit + "%"; },
        dead: function (share, limit) { return "死亡单元：某一层 " + share + "% 的单元死亡，超过 " + limit + "%"; }
      },
      unflaggedGradient: function (direction, trend, limit, cancelled) {
        return "工具没有把梯度本身判为" + (direction === "vanishes" ? "消失" : "爆炸") + "，因为它评判的是权重梯度相对于权重的变化" +
          (trend === null ? "" : "，而这只有 " + trend + " 个数量级，在 ±" + limit + " 之内") +
          (!cancelled ? "。" : "：∂L/∂Wₗ = δₗ·hₗ₋₁ᵀ，而朝输入方向，各层输出" +
            (direction === "vanishes" ? "增大的幅度与梯度减小的幅度差不多。" : "减小的幅度与梯度增大的幅度差不多。"));
      },
      facts: function (depth, ratio, draws, lo, hi, factor, chi) {
        return "在 " + depth + " 层上，梯度的第一层/最后一层之比为 " + ratio + "（" + draws + " 个网络的中位数；范围 " + lo +
          " 到 " + hi + "）；测得的每层因子均值为 " + factor + (chi === null ? "" : "，同样这些层的平均场 χ 为 " + chi) + "。";
      },
      presetXi: function (name, xi) { return name + "：" + xi; },
      mapNote: function (act, depth, presets) {
        return act + " 在无归一化、无跳跃连接时的深度尺度 ξ（在 " + depth + " 层上测得）：" + presets.join("；") +
          "。图上方的标记是各个预设；虚线是平均场临界 σw（无归一化、无跳跃连接）。";
      },
      loadError: function (message) {
        return "无法加载测得的网格数据（" + message + "）；下面的静态图展示的是同样的数据。";
      },
      sliceError: function (message) {
        return "无法加载这一设置的测量数据（" + message + "）；再次选择即可重试。";
      }
    }
  };
  var T = STRINGS.en;  // the words of the page being drawn (see language())
  var MAP_LIMIT = 10;
  var loads = {};  // the fetches, by address: every visit of the page (instant navigation) shares them
  var grids = {};  // the grid of each data folder, filled in as its files arrive

  function language() {  // read per page: instant navigation can move between the editions
    return (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0 ? STRINGS.zh : STRINGS.en;
  }

  function el(tag, attrs, parent) {  // an SVG element
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function fmt(x, digits) { return Number(x.toPrecision(digits || 3)).toString(); }
  function sci(log10) {
    var e = Math.floor(log10), m = Math.pow(10, log10 - e);
    if (m >= 9.95) { m = 1; e += 1; }
    if (e >= -2 && e <= 3) return fmt(Math.pow(10, log10), 2);
    var power = "10" + String(e).replace(/\d/g, function (d) { return "⁰¹²³⁴⁵⁶⁷⁸⁹"[+d]; }).replace("-", "⁻");
    return m.toFixed(1) === "1.0" ? power : m.toFixed(1) + "×" + power;
  }
  function signed(x, digits) { return (x >= 0 ? "+" : "−") + fmt(Math.abs(x), digits || 2); }

  // ------------------------------------------------------------------ data

  function profile(text, index, offsets) {
    var values = text.split(";")[index].split(",").map(Number), out = [], total = 0;
    for (var i = 0; i < values.length; i++) {
      total = offsets ? values[i] : total + values[i];
      out.push(total / 100);
    }
    return out;
  }

  function load(url) {
    if (!loads[url]) {
      loads[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.json();
      });
      loads[url].catch(function () { delete loads[url]; });  // a later request tries again
    }
    return loads[url];
  }

  // A slice (one activation, normalisation and skip; every depth) into the grid's lookups.
  function merge(grid, setting, slice) {
    Object.keys(slice).forEach(function (depth) {
      var key = setting + "/" + depth;
      if (slice[depth].summary) grid.summary[key] = slice[depth].summary;
      if (slice[depth].profiles) grid.profiles[key] = slice[depth].profiles;
    });
  }

  function settingOf(state) { return state.act + "/" + state.norm + "/" + state.skip; }

  // Whether the grid holds what the view of `state` shows: the map's summaries at every depth
  // and the profiles at its depth and σ (the first view's file holds those of one σ only).
  function holds(grid, state) {
    var setting = settingOf(state);
    if (!grid.depths.every(function (d) { return grid.summary[setting + "/" + d]; })) return false;
    var record = grid.profiles[setting + "/" + grid.depths[state.depth]];
    return !!record && record.h.split(";")[state.sigma] !== "";
  }

  // The whole slice of the setting of `state` (at once if it is here already).
  function fetchSlice(grid, state) {
    var setting = settingOf(state);
    if (grid.complete[setting]) return Promise.resolve();
    var name = grid.slice.replace("{act}", state.act).replace("{norm}", state.norm).replace("{skip}", state.skip);
    return load(grid.base + name + ".json").then(function (slice) {
      merge(grid, setting, slice);
      grid.complete[setting] = true;
    });
  }

  // The grid of the data folder `base`: its axes and first view, from first.json.
  function loadGrid(base) {
    if (grids[base]) return Promise.resolve(grids[base]);
    return load(base + "first.json").then(function (first) {
      if (grids[base]) return grids[base];
      var grid = Object.assign({ base: base, profiles: {}, summary: {}, complete: {} }, first.index);
      var view = grid.view;
      merge(grid, view.act + "/" + view.norm + "/" + view.skip, first.slice);
      grids[base] = grid;
      return grid;
    });
  }

  function nearest(list, value, log) {
    var best = 0;
    list.forEach(function (v, i) {
      var d = log ? Math.abs(Math.log(v / value)) : Math.abs(v - value);
      var b = log ? Math.abs(Math.log(list[best] / value)) : Math.abs(list[best] - value);
      if (d < b) best = i;
    });
    return best;
  }

  // ------------------------------------------------------------------ state and fragment

  var SETTINGS = /(^|[#&])(act|sigma|depth|norm|skip)=/;
  var remembered = {};  // the last view of each page, for a return without settings in the link

  function readFragment(grid) {
    var view = grid.view;  // the first view, as published
    var state = { act: view.act, sigma: nearest(grid.sigmas, view.sigma, true), depth: grid.depths.indexOf(view.depth), norm: view.norm, skip: view.skip };
    if (state.depth < 0) state.depth = grid.depths.length - 1;
    var hash = window.location.hash.replace(/^#/, "");
    var last = remembered[window.location.pathname];
    if (!SETTINGS.test(hash) && last) return Object.assign({}, last);
    hash.split("&").forEach(function (pair) {
      var kv = pair.split("="), key = kv[0], value = decodeURIComponent(kv[1] || "");
      if (key === "act" && grid.activations.indexOf(value) >= 0) state.act = value;
      if (key === "sigma" && isFinite(parseFloat(value)) && parseFloat(value) > 0) state.sigma = nearest(grid.sigmas, parseFloat(value), true);
      if (key === "depth" && isFinite(parseFloat(value))) state.depth = nearest(grid.depths, parseFloat(value), false);
      if (key === "norm" && grid.norms.indexOf(value) >= 0) state.norm = value;
      if (key === "skip" && grid.skips.indexOf(value) >= 0) state.skip = value;
    });
    return state;
  }

  function fragment(grid, state) {
    return "#act=" + state.act + "&sigma=" + fmt(grid.sigmas[state.sigma], 4) + "&depth=" + grid.depths[state.depth] +
      "&norm=" + state.norm + "&skip=" + state.skip;
  }

  // ------------------------------------------------------------------ charts

  function frame(container, title, width, height, role) {
    container.textContent = "";
    var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: role || "img" }, container);
    el("title", {}, svg).textContent = title;
    return svg;
  }

  function logTicks(lo, hi) {
    var span = hi - lo, step = span > 40 ? 10 : span > 16 ? 5 : span > 8 ? 2 : 1, ticks = [];
    if (span < 2.5) {  // less than a few decades: 1, 2, 5 times each power of ten
      for (var k = Math.floor(lo); k <= Math.ceil(hi); k++) {
        [0, Math.log10(2), Math.log10(5)].forEach(function (d) { if (k + d >= lo && k + d <= hi) ticks.push(k + d); });
      }
      return ticks;
    }
    for (var t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) ticks.push(t);
    return ticks;
  }

  // series: [{values: [log10…], layers: […], cls, label, band: {lo: [], hi: []}}]
  function lineChart(container, opts) {
    var width = Math.max(280, container.clientWidth || 600), height = opts.height || 230;
    var m = { left: 52, right: 10, top: 40, bottom: 36 };
    var svg = frame(container, opts.title, width, height);
    svg.setAttribute("aria-label", opts.aria);
    var lo = Infinity, hi = -Infinity, xmax = opts.depth;
    opts.series.forEach(function (s) {
      s.values.concat(s.band ? s.band.lo.concat(s.band.hi) : []).forEach(function (v) {
        lo = Math.min(lo, v); hi = Math.max(hi, v);
      });
    });
    (opts.refs || []).forEach(function (r) { lo = Math.min(lo, r); hi = Math.max(hi, r); });
    if (hi - lo < 1) { var mid = (hi + lo) / 2; lo = mid - 0.5; hi = mid + 0.5; }
    var pad = (hi - lo) * 0.06; lo -= pad; hi += pad;
    var X = function (l) { return m.left + (l - 1) / Math.max(1, xmax - 1) * (width - m.left - m.right); };
    var Y = function (v) { return m.top + (hi - v) / (hi - lo) * (height - m.top - m.bottom); };
    var axes = el("g", { class: "bx-axes" }, svg);
    logTicks(lo, hi).forEach(function (t) {
      el("line", { x1: m.left, x2: width - m.right, y1: Y(t), y2: Y(t), class: "bx-grid" }, axes);
      el("text", { x: m.left - 6, y: Y(t) + 4, "text-anchor": "end" }, axes).textContent = sci(t);
    });
    var xticks = [1].concat([0.25, 0.5, 0.75, 1].map(function (f) { return Math.round(f * xmax); }))
      .filter(function (v, i, a) { return a.indexOf(v) === i; });
    xticks.forEach(function (t) {
      el("text", { x: X(t), y: height - m.bottom + 16, "text-anchor": "middle" }, axes).textContent = t;
    });
    el("text", { x: (m.left + width - m.right) / 2, y: height - 4, "text-anchor": "middle" }, axes).textContent = T.layerAxis;
    el("text", { x: m.left, y: 14, class: "bx-title" }, axes).textContent = opts.title;
    (opts.refs || []).forEach(function (r) {
      el("line", { x1: m.left, x2: width - m.right, y1: Y(r), y2: Y(r), class: "bx-ref" }, svg);
    });
    opts.series.forEach(function (s) {
      if (s.band) {
        var top = s.layers.map(function (l, i) { return X(l) + "," + Y(s.band.hi[i]); });
        var bottom = s.layers.map(function (l, i) { return X(l) + "," + Y(s.band.lo[i]); }).reverse();
        el("path", { d: "M" + top.concat(bottom).join("L") + "Z", class: "bx-band " + s.cls }, svg);
      }
      var d = s.layers.map(function (l, i) { return (i ? "L" : "M") + X(l).toFixed(1) + "," + Y(s.values[i]).toFixed(1); }).join("");
      el("path", { d: d, class: "bx-line " + s.cls, "data-series": s.name, "data-values": s.values.join(","), "data-layers": s.layers.join(",") }, svg);
    });
    var legend = el("g", { class: "bx-legend" }, svg), x = m.left;
    opts.series.forEach(function (s) {
      el("line", { x1: x, x2: x + 16, y1: 26, y2: 26, class: "bx-line " + s.cls }, legend);
      var t = el("text", { x: x + 20, y: 30 }, legend);
      t.textContent = s.label;
      x += 20 + (t.getComputedTextLength ? t.getComputedTextLength() : s.label.length * 6) + 16;
    });
  }

  // The map's colours: white where the gradient arrives at the first layer as large as it left the
  // last (log₁₀ first/last = 0), blue where it vanishes, red where it explodes, full at ±MAP_LIMIT
  // decades. Fixed colours, the same in both schemes, so cells, colour scale and critical line
  // always look alike.
  var MAP_LEVEL = [247, 247, 247], MAP_VANISHES = [33, 102, 172], MAP_EXPLODES = [178, 24, 43];
  var MAP_ROW_HEIGHT = 30;

  function cellColour(v) {
    var t = Math.max(-1, Math.min(1, v / MAP_LIMIT)), a = Math.abs(t);
    var end = t < 0 ? MAP_VANISHES : MAP_EXPLODES;
    return "rgb(" + MAP_LEVEL.map(function (c, i) { return Math.round(c + (end[i] - c) * a); }).join(",") + ")";
  }

  function marker(shape, x, y, r, parent, attrs) {
    var d = {
      circle: "M" + (x - r) + "," + y + "a" + r + "," + r + " 0 1,0 " + 2 * r + ",0a" + r + "," + r + " 0 1,0 " + -2 * r + ",0",
      square: "M" + (x - r) + "," + (y - r) + "h" + 2 * r + "v" + 2 * r + "h" + -2 * r + "Z",
      triangle: "M" + x + "," + (y - r * 1.2) + "L" + (x + r * 1.1) + "," + (y + r * 0.8) + "L" + (x - r * 1.1) + "," + (y + r * 0.8) + "Z",
      diamond: "M" + x + "," + (y - r * 1.3) + "L" + (x + r) + "," + y + "L" + x + "," + (y + r * 1.3) + "L" + (x - r) + "," + y + "Z"
    }[shape];
    attrs.d = d;
    return el("path", attrs, parent);
  }

  function presetIndex(grid, name) { return nearest(grid.sigmas, grid.presets[name], true); }

  // The map is a grid of cells (ARIA grid, one tab stop: the chosen cell; the arrow keys move the
  // choice) and four preset markers (buttons). Clicks and keys are handled in build(), on the
  // container, because every redraw replaces the SVG.
  function heatMap(container, grid, state) {
    var focused = container.contains(document.activeElement) ? document.activeElement : null;
    var focusedPreset = focused && focused.getAttribute("data-preset");
    var width = Math.max(280, container.clientWidth || 600), n = grid.sigmas.length, rows = grid.depths.length;
    var m = { left: 44, right: 8, top: 52, bottom: 88 }, cell = (width - m.left - m.right) / n, rowH = MAP_ROW_HEIGHT;
    var height = m.top + rows * rowH + m.bottom, bottom = m.top + rows * rowH;
    var setting = T.mapSetting(T.labels[state.act], T.norms[state.norm], T.skipNames[state.skip]);
    var title = T.mapTitle;
    var svg = frame(container, T.mapFull(title, setting), width, height, "group");
    svg.setAttribute("aria-label", T.mapAria(title, setting));
    el("text", { x: m.left, y: 14, class: "bx-title" }, svg).textContent = title;
    el("text", { x: m.left, y: 29 }, svg).textContent = setting;
    var X = function (i) { return m.left + i * cell; };
    var logX = function (s) {  // position of any σ between the cells' centres, linear in log σ
      var i = 0;
      while (i < n - 2 && grid.sigmas[i + 1] < s) i++;
      var a = Math.log(grid.sigmas[i]), b = Math.log(grid.sigmas[i + 1]), t = (Math.log(s) - a) / (b - a);
      return X(i + 0.5 + t);
    };
    var Yrow = function (r) { return m.top + (rows - 1 - r) * rowH; };  // deepest at the top

    var cells = el("g", { role: "grid", "aria-label": T.cellsLabel, class: "bx-cells" }, svg), chosen = null;
    for (var r = rows - 1; r >= 0; r--) {  // rows in the order they are seen, top to bottom
      var depth = grid.depths[r], row = el("g", { role: "row" }, cells);
      var summary = grid.summary[state.act + "/" + state.norm + "/" + state.skip + "/" + depth];
      grid.sigmas.forEach(function (s, i) {
        var v = summary.first_last[i], isChosen = i === state.sigma && r === state.depth;
        var rect = el("rect", {
          x: X(i), y: Yrow(r), width: cell + 0.5, height: rowH + 0.5, fill: cellColour(v),
          class: "bx-cell", role: "gridcell", tabindex: isChosen ? "0" : "-1", "aria-selected": String(isChosen),
          "data-sigma": i, "data-depth": r, "data-value": v
        }, row);
        el("title", {}, rect).textContent = T.cellTitle(fmt(s, 3), depth, sci(v));
        if (isChosen) chosen = rect;
      });
      el("text", { x: m.left - 6, y: Yrow(r) + rowH / 2 + 4, "text-anchor": "end", "aria-hidden": "true" }, svg).textContent = depth;
    }
    var ring = { x: X(state.sigma), y: Yrow(state.depth), width: cell, height: rowH };
    ["bx-current", "bx-current-inner"].forEach(function (cls) {  // dark and light ring: visible on any cell
      el("rect", { x: ring.x + 2, y: ring.y + 2, width: ring.width - 4, height: ring.height - 4, class: cls }, svg);
    });
    // Shown (by the style sheet) only while the chosen cell has the keyboard focus.
    ["bx-focus-halo", "bx-focus-ring"].forEach(function (cls) {
      el("rect", { x: ring.x - 2, y: ring.y - 2, width: ring.width + 4, height: ring.height + 4, class: cls }, svg);
    });

    var critical = [];
    if (state.norm === "none" && state.skip === "none") {
      grid.theory[state.act].critical.forEach(function (c, r) {
        if (c !== null && c >= grid.sigmas[0] && c <= grid.sigmas[n - 1]) critical.push(logX(c) + "," + (Yrow(r) + rowH / 2));
      });
      if (critical.length) {  // dark dashes on a light halo: visible on every cell colour, in both schemes
        el("polyline", { points: critical.join(" "), class: "bx-critical-halo" }, svg);
        el("polyline", { points: critical.join(" "), class: "bx-critical" }, svg);
      }
    }

    var markers = el("g", { role: "group", "aria-label": T.presetsOnMap }, svg);
    var xi = grid.xi[state.act];  // without normalisation or skips, at the deepest depth
    Object.keys(PRESETS).forEach(function (name) {
      var s = grid.presets[name], x = logX(s), y = m.top - 9;
      var p = marker(PRESETS[name][1], x, y, 5, markers, {
        class: "bx-preset", "data-preset": name, role: "button", tabindex: "0",
        "aria-pressed": String(presetIndex(grid, name) === state.sigma)
      });
      el("title", {}, p).textContent = T.presetMarker(T.presets[name], fmt(s, 3), xiText(xi[presetIndex(grid, name)]));
      el("circle", { cx: x, cy: y, r: 9, class: "bx-preset-ring" }, markers);  // the focus ring, just after its marker
    });

    [0.25, 0.5, 1, 2, 4].forEach(function (t) {
      if (t < grid.sigmas[0] || t > grid.sigmas[n - 1]) return;
      el("text", { x: logX(t), y: bottom + 15, "text-anchor": "middle" }, svg).textContent = t;
    });
    el("text", { x: (m.left + width - m.right) / 2, y: bottom + 31, "text-anchor": "middle" }, svg).textContent = T.mapAxis;
    var below = colourScale(svg, m.left, bottom + 50, Math.min(260, (width - m.left - m.right) * 0.55), width - m.left - 4,
      critical.length > 0);
    if (below) {  // the scale's caption took two lines: make room for them
      height += below;
      svg.setAttribute("height", height);
      svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    }

    if (focusedPreset) markers.querySelector("[data-preset='" + focusedPreset + "']").focus({ preventScroll: true });
    else if (focused && chosen) chosen.focus({ preventScroll: true });
  }

  // The colour scale under the map, drawn from cellColour itself (both mix linearly in RGB), and
  // a sample of the critical line when the map has one. Its caption takes one line if it fits in
  // `room` (px), two on a narrow screen; returns the height the second line added.
  function colourScale(svg, x, top, width, room, withCritical) {
    var caption = el("text", { x: x, y: top }, svg), added = 0;
    caption.textContent = T.scaleCaption + T.scaleMeaning;
    if (caption.getComputedTextLength && caption.getComputedTextLength() > room) {
      caption.textContent = T.scaleCaption;
      el("text", { x: x, y: top + 14 }, svg).textContent = T.scaleMeaning.trim();
      added = 14;
      top += added;
    }
    var stops = el("linearGradient", { id: "bx-scale-colours" }, el("defs", {}, svg));
    [-1, 0, 1].forEach(function (t) {
      el("stop", { offset: (t + 1) / 2, "stop-color": cellColour(t * MAP_LIMIT) }, stops);
    });
    var barTop = top + 6, barHeight = 10;
    el("rect", { x: x, y: barTop, width: width, height: barHeight, fill: "url(#bx-scale-colours)", class: "bx-scale" }, svg);
    var ticks = width >= 200 ? [-1, -0.5, 0, 0.5, 1] : [-1, 0, 1];
    ticks.forEach(function (t) {
      var tx = x + (t + 1) / 2 * width, label = (t === -1 ? "≤" : t === 1 ? "≥" : "") + sci(t * MAP_LIMIT);
      el("line", { x1: tx, x2: tx, y1: barTop + barHeight, y2: barTop + barHeight + 3, class: "bx-scale-tick" }, svg);
      el("text", { x: tx, y: barTop + barHeight + 14, "text-anchor": t === -1 ? "start" : t === 1 ? "end" : "middle" }, svg)
        .textContent = label;
    });
    if (!withCritical) return added;
    var cx = x + width + 16, cy = barTop + barHeight / 2;
    el("line", { x1: cx, x2: cx + 26, y1: cy, y2: cy, class: "bx-critical-halo" }, svg);
    el("line", { x1: cx, x2: cx + 26, y1: cy, y2: cy, class: "bx-critical-sample" }, svg);
    el("text", { x: cx + 32, y: cy + 4 }, svg).textContent = T.criticalLegend;
    return added;
  }

  function xiText(xi, short) {
    return xi > 300 ? T.xiLevel : T.xi(fmt(xi, 2), short);
  }

  // ------------------------------------------------------------------ verdict

  // The setting's flags as a list, whether the grid stores them joined by "+" or as a list.
  function flagsAt(summary, i) {
    var flags = summary.flags ? summary.flags[i] : "";
    if (Array.isArray(flags)) return flags.slice();
    return flags ? String(flags).split("+") : [];
  }

  function numberAt(list, i) { return list && typeof list[i] === "number" ? list[i] : null; }

  function issueName(kind) { return T.issues[kind] || kind.replace(/_/g, " "); }

  function percent(share) { return Math.round(share * 100); }

  // One flag in words with the number behind it; a kind this page does not know is named as
  // the grid names it.
  function flagClause(kind, summary, i, thresholds) {
    var say = T.flagClauses[kind], limit = fmt(thresholds.decades);
    var measured = {
      vanishing: numberAt(summary.trend, i), exploding: numberAt(summary.trend, i),
      forward_collapses: numberAt(summary.forward, i), forward_explodes: numberAt(summary.forward, i),
      saturated: numberAt(summary.saturated, i), dead: numberAt(summary.dead, i)
    }[kind];
    if (!say || measured === null || measured === undefined) return issueName(kind);
    if (kind === "saturated") return say(percent(measured), percent(thresholds.saturated));
    if (kind === "dead") return say(percent(measured), percent(thresholds.dead));
    return say(signed(measured), limit);
  }

  // The verdict: a headline, then what the gradient chart shows, then what the diagnosis tool
  // flags. The chart's sentence is judged from the very values the chart draws (‖∂L/∂h‖ at its
  // first and last layer, log₁₀) against the tool's own limit as the grid publishes it
  // (thresholds.decades), so the verdict cannot contradict the chart. The tool judges the weight
  // gradients instead, so when the chart shows a vanishing or exploding gradient that the tool
  // does not flag as such, the verdict says so, and why.
  function verdict(grid, summary, i, gradient, depth) {
    var limit = grid.thresholds.decades, last = gradient.length - 1;
    var change = gradient[0] - gradient[last];  // log₁₀ first/last, as drawn
    var direction = change < -limit ? "vanishes" : change > limit ? "explodes" : "level";
    var gradientFlag = { vanishes: "vanishing", explodes: "exploding" }[direction];
    var flags = flagsAt(summary, i), trend = numberAt(summary.trend, i), forward = numberAt(summary.forward, i);
    var names = [];
    (gradientFlag ? [gradientFlag] : []).concat(flags).forEach(function (kind) {
      if (names.indexOf(issueName(kind)) < 0) names.push(issueName(kind));
    });
    var sentences = [T.gradient[direction](depth, sci(gradient[last]), sci(gradient[0]), Math.abs(change).toFixed(1), fmt(limit))];
    if (!flags.length) {
      sentences.push(T.toolHealthy(trend === null ? null : signed(trend), forward === null ? null : signed(forward), fmt(limit)));
    } else {
      sentences.push(T.toolFlags(flags.map(function (kind) { return flagClause(kind, summary, i, grid.thresholds); })));
    }
    if (gradientFlag && flags.indexOf(gradientFlag) < 0) {
      var cancelling = direction === "vanishes" ? "forward_collapses" : "forward_explodes";
      var withinLimit = trend !== null && Math.abs(trend) <= limit;
      sentences.push(T.unflaggedGradient(direction, withinLimit ? signed(trend) : null, fmt(limit), flags.indexOf(cancelling) >= 0));
    }
    return { headline: names.length ? T.headline(names) : T.healthyHeadline, text: sentences.join(T.sentenceGap) };
  }

  // ------------------------------------------------------------------ controls

  function build(root, grid) {
    root.textContent = "";
    root.classList.add("bx-built");
    T = language();
    var state = readFragment(grid);
    // The controls come first, so that they are the first stops of the keyboard after the text.
    var form = html("form", { class: "bx-controls", "aria-label": T.settings }, root);
    form.addEventListener("submit", function (e) { e.preventDefault(); });

    var actBox = html("div", { class: "bx-field bx-act" }, form);
    html("label", { for: "bx-act" }, actBox, T.activation);
    var act = html("select", { id: "bx-act" }, actBox);
    grid.activations.forEach(function (a) { html("option", { value: a }, act, T.labels[a]); });
    act.addEventListener("change", function () { set({ act: act.value }); });
    // Material's "Skip to content" link (the page's first tab stop, redrawn on every page) leads
    // here to the first control, past the header and the text above.
    var skipLink = document.querySelector("a.md-skip");
    if (skipLink) {
      skipLink.textContent = T.skipToExplorer;
      skipLink.addEventListener("click", function (event) {
        event.preventDefault();  // focus the control without a fragment: the link keeps the settings
        act.focus();
      });
    }

    var depthBox = html("div", { class: "bx-field bx-depth" }, form);
    var depthLabel = html("label", { for: "bx-depth" }, depthBox, T.depth);
    var depthOut = html("output", { for: "bx-depth", id: "bx-depth-value" }, depthLabel);
    var depth = html("input", { id: "bx-depth", type: "range", min: 0, max: grid.depths.length - 1, step: 1 }, depthBox);
    depth.addEventListener("input", function () { set({ depth: +depth.value }); });

    var sigmaBox = html("div", { class: "bx-field bx-sigma" }, form);
    var sigmaLabel = html("label", { for: "bx-sigma" }, sigmaBox, T.weightScale);
    html("sub", {}, sigmaLabel, "w");
    sigmaLabel.appendChild(document.createTextNode(" "));
    var sigmaOut = html("output", { for: "bx-sigma", id: "bx-sigma-value" }, sigmaLabel);
    var sigma = html("input", { id: "bx-sigma", type: "range", min: 0, max: grid.sigmas.length - 1, step: 1 }, sigmaBox);
    sigma.addEventListener("input", function () { set({ sigma: +sigma.value }); });
    var presets = html("div", { class: "bx-presets", role: "group", "aria-label": T.libraryPresets }, sigmaBox);
    var presetButtons = {};
    Object.keys(PRESETS).forEach(function (name) {
      var b = html("button", { type: "button", class: "bx-button", "data-preset": name, "aria-pressed": "false",
        title: T.presetTitle(PRESETS[name][0], fmt(grid.presets[name], 3)) }, presets, T.presets[name]);
      b.addEventListener("click", function () { set({ sigma: presetIndex(grid, name) }); });
      presetButtons[name] = b;
    });

    function radios(name, legend, options) {
      var box = html("fieldset", { class: "bx-field bx-radios bx-" + name }, form);
      html("legend", {}, box, legend);
      var inputs = {};
      Object.keys(options).forEach(function (value) {
        var label = html("label", {}, box);
        var input = html("input", { type: "radio", name: "bx-" + name, value: value }, label);
        label.appendChild(document.createTextNode(" " + options[value]));
        input.addEventListener("change", function () { var p = {}; p[name] = value; set(p); });
        inputs[value] = input;
      });
      return inputs;
    }
    var norm = radios("norm", T.normalisation, T.norms);
    var skip = radios("skip", T.skipConnections, T.skips);

    var results = html("div", { class: "bx-results" }, root);
    var verdictBox = html("p", { class: "bx-verdict", "aria-live": "polite" }, results);
    var charts = html("div", { class: "bx-charts" }, results);
    var gradBox = html("div", { class: "bx-gradients-box" }, charts);
    var gradChart = html("div", { class: "bx-chart", id: "bx-gradients" }, gradBox);
    var facts = html("p", { class: "bx-facts" }, gradBox);
    var mapBox = html("div", { class: "bx-map-box" }, charts);  // beside the gradients on a wide screen
    var mapChart = html("div", { class: "bx-chart", id: "bx-map" }, mapBox);
    var mapNote = html("p", { class: "bx-note" }, mapBox);
    var factorChart = html("div", { class: "bx-chart", id: "bx-factor" }, charts);
    var forwardChart = html("div", { class: "bx-chart", id: "bx-forward" }, charts);

    function choose(target) {  // a map cell or preset marker, clicked or pressed
      var preset = target.getAttribute("data-preset");
      if (preset) set({ sigma: presetIndex(grid, preset) });
      else set({ sigma: +target.getAttribute("data-sigma"), depth: +target.getAttribute("data-depth") });
    }
    mapChart.addEventListener("click", function (event) {
      var target = event.target.closest && event.target.closest("[data-preset], [data-depth]");
      if (target) choose(target);
    });
    mapChart.addEventListener("keydown", function (event) {
      var target = event.target;
      if (!target.closest("[data-preset], [data-depth]")) return;
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose(target);
        return;
      }
      if (!target.hasAttribute("data-depth")) return;
      var from = { sigma: +target.getAttribute("data-sigma"), depth: +target.getAttribute("data-depth") };
      var lastIndex = { sigma: grid.sigmas.length - 1, depth: grid.depths.length - 1 };
      var move = {  // the deepest row is drawn at the top
        ArrowLeft: { sigma: from.sigma - 1 }, ArrowRight: { sigma: from.sigma + 1 },
        ArrowUp: { depth: from.depth + 1 }, ArrowDown: { depth: from.depth - 1 },
        Home: { sigma: 0 }, End: { sigma: lastIndex.sigma },
        PageUp: { depth: lastIndex.depth }, PageDown: { depth: 0 }
      }[event.key];
      if (!move) return;
      event.preventDefault();
      var to = Object.assign({}, from);
      Object.keys(move).forEach(function (k) { to[k] = Math.max(0, Math.min(lastIndex[k], move[k])); });
      set(to);  // the redraw keeps the focus on the chosen cell
    });

    function set(change) {
      Object.keys(change).forEach(function (k) { state[k] = change[k]; });
      show();
      var target = fragment(grid, state);
      if (window.location.hash !== target) history.replaceState(history.state, "", target);
    }

    // Draws the view of `state`, first fetching its slice when the grid does not hold it yet
    // (meanwhile the charts stay as they were, marked busy); then fetches the rest of the
    // slice of the setting shown, so that moving σ or the depth needs no fetch.
    function show() {
      if (holds(grid, state)) {
        results.removeAttribute("aria-busy");
        root.removeAttribute("data-loading");
        draw();
        fetchSlice(grid, state).catch(function () {});  // only ahead of need: a failure is retried when needed
        return;
      }
      results.setAttribute("aria-busy", "true");
      root.setAttribute("data-loading", "true");
      fetchSlice(grid, state).then(function () {
        if (holds(grid, state)) show();  // else a later choice is still on its way
      }, function (error) {
        if (holds(grid, state)) return;
        results.removeAttribute("aria-busy");
        root.removeAttribute("data-loading");
        verdictBox.textContent = T.sliceError(error.message);
      });
    }

    function draw() {
      var depthValue = grid.depths[state.depth], s = grid.sigmas[state.sigma];
      var key = state.act + "/" + state.norm + "/" + state.skip + "/" + depthValue;
      var rec = grid.profiles[key], summary = grid.summary[key], layers = grid.layers[String(depthValue)];
      remembered[window.location.pathname] = Object.assign({}, state);
      root.setAttribute("data-key", key);
      root.setAttribute("data-sigma-index", state.sigma);
      act.value = state.act;
      sigma.value = state.sigma;
      depth.value = state.depth;
      norm[state.norm].checked = true;
      skip[state.skip].checked = true;
      var named = Object.keys(PRESETS).filter(function (p) { return presetIndex(grid, p) === state.sigma; });
      sigmaOut.textContent = "= " + fmt(s, 3) + (named.length ? T.named(named.map(function (p) { return T.presets[p]; })) : "");
      sigma.setAttribute("aria-valuetext", "σw = " + fmt(s, 3));
      depthOut.textContent = "= " + T.layers(depthValue);
      depth.setAttribute("aria-valuetext", T.layers(depthValue));
      Object.keys(presetButtons).forEach(function (p) { presetButtons[p].setAttribute("aria-pressed", String(named.indexOf(p) >= 0)); });

      var h = profile(rec.h, state.sigma), lo = profile(rec.hlo, state.sigma, true), hi = profile(rec.hhi, state.sigma, true);
      lineChart(gradChart, {
        title: T.gradTitle, depth: depthValue,
        aria: T.gradAria(sci(h[0]), sci(h[h.length - 1]), depthValue),
        series: [
          { name: "grad_h", cls: "bx-s1", label: "‖∂L/∂hₗ‖", layers: layers, values: h,
            band: { lo: h.map(function (v, i) { return v - lo[i]; }), hi: h.map(function (v, i) { return v + hi[i]; }) } },
          { name: "grad_w", cls: "bx-s2", label: "‖∂L/∂Wₗ‖", layers: layers, values: profile(rec.w, state.sigma) }
        ]
      });
      var f = profile(rec.f, state.sigma), factorSeries = [
        { name: "factor", cls: "bx-s1", label: T.measured, layers: layers.slice(1), values: f }
      ];
      if (rec.c) factorSeries.push({ name: "chi", cls: "bx-s3", label: T.meanField, layers: layers.slice(1), values: profile(rec.c, state.sigma) });
      lineChart(factorChart, {
        title: T.factorTitle, depth: depthValue, refs: [0], series: factorSeries,
        aria: T.factorAria(!!rec.c)
      });
      var a = profile(rec.a, state.sigma);
      lineChart(forwardChart, {
        title: T.forwardTitle, depth: depthValue,
        aria: T.forwardAria(sci(a[0]), sci(a[a.length - 1])),
        series: [{ name: "spread", cls: "bx-s4", label: "std(hₗ)", layers: layers, values: a }]
      });
      heatMap(mapChart, grid, state);

      var said = verdict(grid, summary, state.sigma, h, depthValue);
      verdictBox.textContent = "";
      html("strong", {}, verdictBox, said.headline);
      verdictBox.appendChild(document.createTextNode(T.sentenceGap + said.text));
      facts.textContent = T.facts(depthValue, sci(summary.first_last[state.sigma]), grid.draws,
        sci(summary.first_last_lo[state.sigma]), sci(summary.first_last_hi[state.sigma]), fmt(summary.chi_measured[state.sigma], 3),
        summary.chi_network ? fmt(summary.chi_network[state.sigma], 3) : null);
      mapNote.textContent = T.mapNote(T.labels[state.act], grid.depths[grid.depths.length - 1], Object.keys(PRESETS).map(function (p) {
        return T.presetXi(T.presets[p], xiText(grid.xi[state.act][presetIndex(grid, p)], true));
      }));
    }

    window.addEventListener("hashchange", function () {
      // Only a fragment with settings changes the view: a jump to a heading keeps it.
      if (!document.body.contains(root) || !SETTINGS.test(window.location.hash)) return;
      state = readFragment(grid);
      show();
    });
    var width = root.clientWidth;
    window.addEventListener("resize", function () {
      if (document.body.contains(root) && root.clientWidth !== width && holds(grid, state)) { width = root.clientWidth; draw(); }
    });
    draw();
    root.setAttribute("data-ready", "true");
    // The rest of the setting shown (every σ and depth), once the first view is on screen.
    requestAnimationFrame(function () {
      setTimeout(function () { fetchSlice(grid, state).catch(function () {}); }, 0);
    });
  }

  function init() {
    var root = document.getElementById("book-explorer");
    if (!root || root.getAttribute("data-started")) return;
    root.setAttribute("data-started", "true");
    var base = new URL(root.getAttribute("data-grid"), window.location.href).href;
    loadGrid(base).then(function (grid) {
      var state = readFragment(grid);  // a link with settings may need another slice first
      return holds(grid, state) ? grid : fetchSlice(grid, state).then(function () { return grid; });
    }).then(function (grid) {
      if (document.body.contains(root)) build(root, grid);
    }, function (error) {
      var p = root.querySelector(".bx-loading");
      if (p) p.textContent = language().loadError(error.message);
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
    init();  // loaded on demand after the page: start now (init runs once per page)
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
