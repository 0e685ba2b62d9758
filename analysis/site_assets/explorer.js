/* Scenario explorer of the Dasuhe report: plain JavaScript, no library, no network request.
   Everything it knows (parameters, ranges, sources, facts, words) comes from the JSON that
   analysis/explorer.py writes from data/ and the model; season() mirrors
   analysis.model.season_arrays operation by operation. Contract kept for tests: the root is
   [data-explorer]; each parameter has a text field [data-param=<--set name>]; each output
   [data-output=<scenario --json key>] holds its unrounded value in data-value ("" if not finite). */
(function () {
  "use strict";

  // --- the model: analysis.model.season_arrays, same operations in the same order ---------------
  function season(v) {
    var revenue = v.segments * v.yield_kg_per_segment * v.price_yuan_per_kg;
    var cost = v.segments * v.cost_yuan_per_segment;
    var profit = revenue - cost;
    var villagePool = v.village_share * Math.max(profit, 0);
    var householdsPool = v.subsidy_fraction * villagePool;
    var perPerson = householdsPool / v.persons;
    var breakEvenPrice = v.cost_yuan_per_segment / v.yield_kg_per_segment;
    var perRecipientPerson = householdsPool / v.recipient_persons;
    return {
      revenue_yuan: revenue,
      cost_yuan: cost,
      profit_yuan: profit,
      village_pool_yuan: villagePool,
      enterprise_yuan: profit - villagePool,
      households_pool_yuan: householdsPool,
      welfare_pool_yuan: villagePool - householdsPool,
      per_household_yuan: householdsPool / v.households,
      per_person_yuan: perPerson,
      share_of_poverty_line: perPerson / v.poverty_line_yuan,
      break_even_price_yuan_per_kg: breakEvenPrice,
      break_even_price_yuan_per_jin: breakEvenPrice * v.kg_per_jin,
      break_even_yield_kg_per_segment: v.cost_yuan_per_segment / v.price_yuan_per_kg,
      price_yuan_per_jin: v.price_yuan_per_kg * v.kg_per_jin,
      profit_yuan_per_segment: v.yield_kg_per_segment * v.price_yuan_per_kg - v.cost_yuan_per_segment,
      // recipients (issue 10): the households' pool over those who receive it
      per_recipient_household_yuan: householdsPool / v.recipient_households,
      per_recipient_person_yuan: perRecipientPerson,
      recipient_share_of_poverty_line: perRecipientPerson / v.poverty_line_yuan
    };
  }

  // recipient_persons when the reader has not set it: recipient households x persons / households
  function personsByRule(recipientHouseholds, facts) {
    return recipientHouseholds * facts.persons.value / facts.households.value;
  }

  // --- numbers as the report writes them (analysis.report.format_number / format_share) -----------
  var MINUS = "\u2212";
  function formatNumber(value, decimals) {
    var size = Math.abs(value), automatic = decimals == null;
    if (automatic) {
      if (size >= 100 || size === Math.round(size)) decimals = 0;
      else if (size >= 1) decimals = 2;
      else decimals = Math.min(20, Math.max(0, 2 - Math.floor(Math.log10(size))));
    }
    var text = size.toLocaleString("en-US", {minimumFractionDigits: decimals, maximumFractionDigits: decimals});
    if (automatic && text.indexOf(".") >= 0) text = text.replace(/0+$/, "").replace(/\.$/, "");
    if (/^[0.,]*$/.test(text)) return text;
    return (value < 0 ? MINUS : "") + text;
  }
  // a number counted in 万 (analysis.report.format_wan): four significant digits, at most two decimals
  function formatWan(value, tenThousand) {
    var wan = value / tenThousand, size = Math.abs(wan);
    return formatNumber(wan, size === 0 ? 0 : Math.min(2, Math.max(0, 3 - Math.floor(Math.log10(size)))))
      .replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  }
  function formatShare(value) {
    var percent = value * 100;
    return formatNumber(percent, Math.abs(percent - Math.round(percent)) < 1e-9 ? 0 : 1) + "%";
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  // --- markup helpers (the SVG is written as markup: the HTML parser gives it its namespace) ----
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function tag(name, attrs, inner) {
    var out = "<" + name;
    Object.keys(attrs || {}).forEach(function (k) { out += " " + k + '="' + esc(attrs[k]) + '"'; });
    return out + ">" + (inner || "") + "<" + "/" + name + ">";
  }
  function el(name, attrs, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  function niceTicks(a, b, count) {
    var raw = (b - a) / count, power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * power; }).find(function (s) { return s >= raw; });
    var ticks = [];
    for (var t = Math.ceil(a / step) * step; t <= b + step * 1e-9; t += step) ticks.push(Math.round(t / step) * step);
    return ticks;
  }

  // --- input text -> number, or the rule it breaks -------------------------------------------------
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  function parseNumber(text) {
    var t = String(text).trim();
    if (t === "") return {rule: "rule_empty"};
    if (!NUMBER.test(t)) return {rule: "rule_number"};
    var x = Number(t);
    if (!isFinite(x)) return {rule: "rule_finite"};
    return {value: x};
  }

  var counter = 0;

  function Explorer(root) {
    var cfg = JSON.parse(root.querySelector("script[data-explorer-config]").textContent);
    var w = cfg.words, facts = cfg.facts, zh = cfg.lang === "zh", colon = zh ? "：" : ": ";
    var prefix = "dx" + (++counter) + "-";
    var all = cfg.inputs.concat(cfg.hidden_inputs);
    var byName = {};
    all.forEach(function (input) { byName[input.name] = input; });
    var fields = {}, sliders = {}, messages = {}, flags = {}, radios = {};
    // mode: which recipient rule the radio buttons show ("remaining", "all" or "number")
    var state = {preset: cfg.default_preset, personsPinned: false, mode: "remaining", values: null, result: null};
    var households = facts.households.value;
    var remaining = byName.recipient_households.presets[cfg.default_preset];  // not yet out of poverty

    function quantity(value, unitLabel, unit) {
      if (!isFinite(value)) return w.not_defined;
      if (unit === "share") return formatShare(value);
      var wan = cfg.wan.units[unit];
      if (wan && Math.abs(value) >= cfg.wan.threshold) return formatWan(value, cfg.wan.threshold) + wan;
      var number = formatNumber(value);
      return unitLabel ? number + (zh ? "" : " ") + unitLabel : number;
    }
    function outputText(key, value) {
      var o = cfg.outputs[key];
      return quantity(value, o.unit_label, o.unit);
    }

    // --- building the page -------------------------------------------------------------------
    function button(text, action, extra) {
      return el("button", Object.assign({type: "button", "class": "dx-button", "data-action": action}, extra || {}), text);
    }

    function buildField(input) {
      var id = prefix + input.name;
      var box = el("div", {"class": "dx-field", "data-field": input.name});
      var label = el("label", {"for": id}, input.label);
      var entry = el("div", {"class": "dx-entry"});
      var field = el("input", {id: id, type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false",
                               "data-param": input.name, "aria-describedby": id + "-info " + id + "-msg"});
      entry.appendChild(field);
      if (input.unit_label) entry.appendChild(el("span", {"class": "dx-unit"}, input.unit_label));
      if (input.unit === "share") entry.appendChild(el("span", {"class": "dx-aside", "data-percent": input.name}));
      if (input.name === "price_yuan_per_kg") {
        entry.appendChild(el("span", {"class": "dx-aside", "data-output": "price_yuan_per_jin", "data-value": ""}));
      }
      box.appendChild(label);
      if (input.name === "recipient_households") box.appendChild(buildRecipientChoice());
      box.appendChild(entry);
      if (input.slider) {
        var s = el("input", {type: "range", "class": "dx-slider", min: input.slider.min, max: input.slider.max,
                             step: input.slider.step, "aria-label": fill(w.slider, {label: input.label})});
        sliders[input.name] = s;
        s.addEventListener("input", function () { field.value = s.value; onEdit(input.name); });
        box.appendChild(s);
      }
      if (input.name === "recipient_persons") {
        var note = el("div", {"class": "dx-note", "data-persons-note": ""});
        var follow = button(w.persons_follow, "follow");
        follow.addEventListener("click", function () { state.personsPinned = false; update(); });
        note.appendChild(el("span"));
        note.appendChild(follow);
        box.appendChild(note);
      }
      var info = el("div", {"class": "dx-info", id: id + "-info"});
      var range = el("div");
      range.appendChild(document.createTextNode(input.range_label + colon + input.range_text + " "));
      flags[input.name] = el("span", {"class": "dx-flag", hidden: ""},
                             input.kind === "fact" ? w.differs : w.outside);
      range.appendChild(flags[input.name]);
      info.appendChild(range);
      info.appendChild(el("div", {"class": "dx-source"},
                          w.source + colon + input.source.title + " [" + input.source.id + "] · " + w.confidence +
                          colon + input.confidence));
      box.appendChild(info);
      messages[input.name] = el("div", {"class": "dx-msg", id: id + "-msg", "aria-live": "polite"});
      box.appendChild(messages[input.name]);
      fields[input.name] = field;
      field.addEventListener("input", function () { onEdit(input.name); });
      field.addEventListener("change", function () { onEdit(input.name); });
      return box;
    }

    function buildRecipientChoice() {
      var set = el("fieldset", {"class": "dx-choice"});
      set.appendChild(el("legend", {}, w.recipients_legend));
      [["remaining", fill(w.recipients_remaining, {n: formatNumber(remaining)})],
       ["all", fill(w.recipients_all, {n: formatNumber(households)})],
       ["number", w.recipients_number]].forEach(function (choice) {
        var id = prefix + "recipients-" + choice[0];
        var radio = el("input", {type: "radio", id: id, name: prefix + "recipients", value: choice[0],
                                 "data-recipients": choice[0]});
        radios[choice[0]] = radio;
        radio.addEventListener("change", function () {
          state.mode = choice[0];
          if (choice[0] === "remaining") fields.recipient_households.value = String(remaining);
          else if (choice[0] === "all") fields.recipient_households.value = String(households);
          else fields.recipient_households.focus();
          update();
        });
        var line = el("div", {"class": "dx-radio"});
        line.appendChild(radio);
        line.appendChild(el("label", {"for": id}, choice[1]));
        set.appendChild(line);
      });
      return set;
    }

    function build() {
      root.appendChild(el("div", {"class": "dx-title", role: "heading", "aria-level": "3"}, w.title));
      if (!cfg.compact) root.appendChild(el("p", {"class": "dx-intro"}, w.intro));
      var bar = el("div", {"class": "dx-bar"});
      var presets = el("div", {"class": "dx-presets", role: "group", "aria-label": w.preset, title: w.preset_note});
      presets.appendChild(el("span", {"class": "dx-bar-label"}, w.preset));
      cfg.presets.forEach(function (preset) {
        var b = button(w[preset], "preset", {"data-preset": preset, "aria-pressed": "false"});
        b.addEventListener("click", function () { applyPreset(preset); update(); });
        presets.appendChild(b);
      });
      bar.appendChild(presets);
      var reset = button(w.reset, "reset");
      reset.addEventListener("click", function () { applyPreset(cfg.default_preset); update(); });
      bar.appendChild(reset);
      var download = button(w.download, "download");
      download.addEventListener("click", downloadScenario);
      bar.appendChild(download);
      root.appendChild(bar);
      root.appendChild(el("p", {"class": "dx-status", role: "status", "data-status": ""}));

      var body = el("div", {"class": "dx-body"});
      var form = el("form", {"class": "dx-inputs", novalidate: "", "aria-label": w.inputs});
      form.addEventListener("submit", function (e) { e.preventDefault(); });
      cfg.inputs.forEach(function (input) { form.appendChild(buildField(input)); });
      body.appendChild(form);

      var out = el("div", {"class": "dx-outputs", role: "region", "aria-label": w.outputs});
      var head = el("div", {"class": "dx-headline", role: "group", "aria-label": w.headline});
      head.appendChild(el("div", {"class": "dx-headline-label"}, w.headline));
      head.appendChild(el("div", {"class": "dx-headline-value", "data-output": "per_recipient_person_yuan",
                                  "data-value": "", "aria-live": "polite"}));
      head.appendChild(el("div", {"class": "dx-headline-share", "data-output": "recipient_share_of_poverty_line",
                                  "data-value": ""}));
      root.appendChild(head);  // above both columns (sticky on a narrow screen)
      var chart = el("figure", {"class": "dx-figure"});
      chart.appendChild(el("figcaption", {}, w.chart_title));
      chart.appendChild(el("div", {"data-chart": "bars"}));
      out.appendChild(chart);
      var groups = cfg.compact ? [[null, [].concat.apply([], cfg.groups.map(function (g) { return g[1]; }))]] : cfg.groups;
      groups.forEach(function (group) {
        var keys = group[1].filter(function (k) { return !(k in headlineKeys); });
        if (!keys.length) return;
        var box = el("div", {"class": "dx-group"});
        if (group[0]) box.appendChild(el("div", {"class": "dx-group-title", role: "heading", "aria-level": "4"},
                                         w["group_" + group[0]]));
        var list = el("dl");
        keys.forEach(function (key) {
          var row = el("div", {"class": "dx-row"});
          row.appendChild(el("dt", {}, cfg.outputs[key].label));
          row.appendChild(el("dd", {"data-output": key, "data-value": ""}));
          list.appendChild(row);
        });
        box.appendChild(list);
        out.appendChild(box);
      });
      if (cfg.map) {
        var map = el("figure", {"class": "dx-figure"});
        map.appendChild(el("figcaption", {"data-map-title": ""}));
        map.appendChild(el("div", {"data-chart": "map"}));
        var legend = el("div", {"class": "dx-legend"});
        [["loss", w.map_loss], ["profit", w.map_profit], ["range", w.map_range], ["line", w.map_line],
         ["here", w.map_here]].forEach(function (item) {
          var entry = el("span");
          entry.appendChild(el("i", {"class": "dx-key dx-key-" + item[0], "aria-hidden": "true"}));
          entry.appendChild(document.createTextNode(item[1]));
          legend.appendChild(entry);
        });
        map.appendChild(legend);
        out.appendChild(map);
      }
      if (!cfg.compact) {
        var list = el("ul", {"class": "dx-facts"});
        Object.keys(facts).forEach(function (name) { list.appendChild(el("li", {}, facts[name].text)); });
        list.appendChild(el("li", {}, fill(w.kg_per_jin, {kg: formatNumber(cfg.kg_per_jin)})));
        var details = el("details", {"class": "dx-facts-box"});
        details.appendChild(el("summary", {}, w.facts));
        details.appendChild(list);
        out.appendChild(details);
      }
      body.appendChild(out);
      root.appendChild(body);
    }
    var headlineKeys = {per_recipient_person_yuan: 1, recipient_share_of_poverty_line: 1};

    // --- state -------------------------------------------------------------------------------
    function presetValue(name, preset) { return byName[name].presets[preset]; }

    function applyPreset(preset) {
      state.preset = preset;
      state.personsPinned = false;
      state.mode = "remaining";
      all.forEach(function (input) { if (fields[input.name]) fields[input.name].value = String(input.presets[preset]); });
    }

    function onEdit(name) {
      if (name === "recipient_persons") state.personsPinned = true;
      if (name === "recipient_households") state.mode = "number";
      update();
    }

    function recipientMode(value) {
      if (value === remaining) return "remaining";
      if (value === households) return "all";
      return "number";
    }

    // Read every field; {values} when all are valid, else {errors: {name: message}}.
    function read() {
      var values = {}, errors = {};
      all.forEach(function (input) {
        if (input.name === "recipient_persons") return;  // after recipient_households
        var parsed = fields[input.name] ? parseNumber(fields[input.name].value)
                                        : {value: presetValue(input.name, state.preset)};
        var rule = parsed.rule, x = parsed.value;
        if (!rule) {
          if (input.rule === "share" && (x < 0 || x > 1)) rule = "rule_share";
          else if ((input.rule === "positive" || input.rule === "recipient_households") && x <= 0) rule = "rule_positive";
          else if (input.rule === "nonnegative" && x < 0) rule = "rule_nonnegative";
          else if (input.rule === "recipient_households" && x > households) rule = "rule_recipients_max";
        }
        if (rule) errors[input.name] = fill(w[rule], {n: formatNumber(households)});
        else values[input.name] = x;
      });
      var rh = values.recipient_households, persons = fields.recipient_persons;
      if (!state.personsPinned || !persons) {
        if (rh !== undefined) {
          values.recipient_persons = personsByRule(rh, facts);
          if (persons) persons.value = String(Math.round(values.recipient_persons * 100) / 100);
        }
      } else {
        var parsed = parseNumber(persons.value), rule = parsed.rule, x = parsed.value;
        if (!rule && x <= 0) rule = "rule_positive";
        else if (!rule && rh !== undefined && x < rh) rule = "rule_persons_min";
        else if (!rule && x > facts.persons.value) rule = "rule_persons_max";
        if (rule) errors.recipient_persons = fill(w[rule], {n: formatNumber(rule === "rule_persons_max" ? facts.persons.value : rh)});
        else values.recipient_persons = x;
      }
      return Object.keys(errors).length ? {errors: errors} : {values: values};
    }

    function update(keepUrl) {
      var got = read();
      cfg.inputs.forEach(function (input) {
        var name = input.name, message = got.errors && got.errors[name];
        messages[name].textContent = message ? input.label + colon + message : "";
        fields[name].setAttribute("aria-invalid", message ? "true" : "false");
      });
      root.querySelectorAll("[data-preset]").forEach(function (b) {
        b.setAttribute("aria-pressed", b.getAttribute("data-preset") === state.preset ? "true" : "false");
      });
      var note = root.querySelector("[data-persons-note]");
      if (note) {
        note.firstChild.textContent = state.personsPinned ? w.persons_pinned : fill(w.persons_auto, {
          persons: formatNumber(facts.persons.value), households: formatNumber(households)});
        note.lastChild.hidden = !state.personsPinned;
      }
      if (radios.remaining) radios[state.mode].checked = true;
      root.querySelector("[data-status]").textContent = got.errors ? w.status_invalid : "";
      root.classList.toggle("dx-stale", !!got.errors);
      if (got.errors) return;  // the last valid result stays on screen
      var v = got.values;
      cfg.inputs.forEach(function (input) {
        var x = v[input.name];
        flags[input.name].hidden = !(x < input.low || x > input.high);
        var percent = root.querySelector('[data-percent="' + input.name + '"]');
        if (percent) percent.textContent = "= " + formatShare(x);
        var s = sliders[input.name];
        if (s && document.activeElement !== s) s.value = String(Math.min(Math.max(x, input.slider.min), input.slider.max));
      });
      var inputs = Object.assign({segments: facts.segments.value, households: households,
                                  persons: facts.persons.value, kg_per_jin: cfg.kg_per_jin}, v);
      state.values = v;
      state.result = season(inputs);
      render(state.result, inputs);
      if (!keepUrl) writeUrl();
    }

    // --- outputs -----------------------------------------------------------------------------
    function render(r, v) {
      root.querySelectorAll("[data-output]").forEach(function (node) {
        var key = node.getAttribute("data-output"), value = r[key], finite = isFinite(value);
        node.setAttribute("data-value", finite ? String(value) : "");
        var text = outputText(key, value);
        if (key === "price_yuan_per_jin") text = fill(w.per_jin, {value: text});
        if (key === "recipient_share_of_poverty_line" && node.parentNode.className === "dx-headline") {
          text = fill(w.headline_share, {share: text});
        }
        node.textContent = text;
        if (finite) node.removeAttribute("title"); else node.setAttribute("title", w.not_defined_title);
      });
      drawBars(r, v);
      if (cfg.map) drawMap(v);
    }

    function drawBars(r, v) {
      var W = 360, line = v.poverty_line_yuan;
      var bars = [[w.chart_recipient, r.per_recipient_person_yuan, 1], [w.chart_registered, r.per_person_yuan, 0.55]];
      var top = Math.max(line, bars[0][1], bars[1][1]) * 1.1, x = function (value) { return value / top * (W - 8); };
      var svg = "";
      bars.forEach(function (bar, i) {
        var y = i * 42, width = x(bar[1]), inside = width > W * 0.6;
        var value = quantity(bar[1], cfg.outputs.per_person_yuan.unit_label);
        svg += tag("text", {x: 0, y: y + 12, "class": "dx-svg-label"}, esc(bar[0]));
        svg += tag("rect", {x: 0, y: y + 16, width: width.toFixed(2), height: 19, fill: "var(--dx-assumed)",
                            "fill-opacity": bar[2]});
        svg += tag("text", {x: (inside ? width - 4 : width + 4).toFixed(2), y: y + 30,
                            "text-anchor": inside ? "end" : "start", "class": inside ? "dx-svg-in" : "dx-svg-value"},
                   esc(value));
      });
      var lx = x(line).toFixed(2);
      svg += tag("line", {x1: lx, x2: lx, y1: 12, y2: 84, stroke: "var(--dx-text)", "stroke-dasharray": "4 3"});
      svg += tag("text", {x: lx, y: 100, "text-anchor": "end", "class": "dx-svg-label"},
                 esc(fill(w.chart_line, {value: quantity(line, cfg.outputs.per_person_yuan.unit_label)})));
      root.querySelector('[data-chart="bars"]').innerHTML =
        tag("svg", {viewBox: "0 0 " + W + " 106", role: "img", "aria-label": w.chart_title, "class": "dx-svg"}, svg);
    }

    function drawMap(v) {
      var W = 360, H = 250, L = 50, R = 12, T = 10, B = 40;
      var price = byName.price_yuan_per_kg, yieldIn = byName.yield_kg_per_segment;
      var p = v.price_yuan_per_kg, q = v.yield_kg_per_segment, c = v.cost_yuan_per_segment, m = cfg.map.margin;
      // as figures._map_axes: the assumed ranges and the break-even line, plus a margin
      var px = [Math.min(cfg.map.price[0], c / cfg.map.yield[1]) * (1 - m), cfg.map.price[1] * (1 + m)];
      var py = [Math.min(cfg.map.yield[0], c / cfg.map.price[1]) * (1 - m), cfg.map.yield[1] * (1 + m)];
      if (p < px[0] || p > px[1]) { px = [Math.min(px[0], p * 0.9), Math.max(px[1], p * 1.1)]; }
      if (q < py[0] || q > py[1]) { py = [Math.min(py[0], q * 0.9), Math.max(py[1], q * 1.1)]; }
      if (px[1] <= px[0]) px = [0, px[1] || 1];
      if (py[1] <= py[0]) py = [0, py[1] || 1];
      var sx = function (value) { return L + (value - px[0]) / (px[1] - px[0]) * (W - L - R); };
      var sy = function (value) { return H - B - (value - py[0]) / (py[1] - py[0]) * (H - T - B); };
      var clampY = function (value) { return Math.min(Math.max(value, py[0]), py[1]); };
      var svg = tag("rect", {x: L, y: T, width: W - L - R, height: H - T - B, "class": "dx-map-profit"});
      var curve = [], n = 60;
      for (var i = 0; i <= n; i++) {
        var xp = px[0] + (px[1] - px[0]) * i / n, yb = xp > 0 ? c / xp : Infinity;
        curve.push(sx(xp).toFixed(2) + "," + sy(clampY(isFinite(yb) ? yb : py[1])).toFixed(2));
      }
      svg += tag("polygon", {points: sx(px[0]).toFixed(2) + "," + sy(py[0]).toFixed(2) + " " + curve.join(" ") + " " +
                             sx(px[1]).toFixed(2) + "," + sy(py[0]).toFixed(2), "class": "dx-map-loss"});
      svg += tag("polyline", {points: curve.join(" "), "class": "dx-map-line"});
      svg += tag("rect", {x: sx(price.low).toFixed(2), y: sy(yieldIn.high).toFixed(2),
                          width: (sx(price.high) - sx(price.low)).toFixed(2),
                          height: (sy(yieldIn.low) - sy(yieldIn.high)).toFixed(2), "class": "dx-map-range"});
      niceTicks(px[0], px[1], 5).forEach(function (t) {
        svg += tag("line", {x1: sx(t), x2: sx(t), y1: H - B, y2: H - B + 4, "class": "dx-axis"});
        svg += tag("text", {x: sx(t), y: H - B + 15, "text-anchor": "middle", "class": "dx-svg-tick"}, esc(formatNumber(t)));
      });
      niceTicks(py[0], py[1], 5).forEach(function (t) {
        svg += tag("line", {x1: L - 4, x2: L, y1: sy(t), y2: sy(t), "class": "dx-axis"});
        svg += tag("text", {x: L - 6, y: sy(t) + 3.5, "text-anchor": "end", "class": "dx-svg-tick"}, esc(formatNumber(t)));
      });
      svg += tag("text", {x: L + (W - L - R) / 2, y: H - 6, "text-anchor": "middle", "class": "dx-svg-label"}, esc(w.map_x));
      svg += tag("text", {x: 11, y: T + (H - T - B) / 2, "text-anchor": "middle", "class": "dx-svg-label",
                          transform: "rotate(-90 11 " + (T + (H - T - B) / 2) + ")"}, esc(w.map_y));
      svg += tag("circle", {cx: sx(p).toFixed(2), cy: sy(q).toFixed(2), r: 5.5, "class": "dx-map-here"});
      root.querySelector("[data-map-title]").textContent = fill(w.map_title, {
        cost: quantity(c, byName.cost_yuan_per_segment.unit_label)});
      root.querySelector('[data-chart="map"]').innerHTML =
        tag("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "class": "dx-svg",
                    "aria-label": fill(w.map_title, {cost: quantity(c, byName.cost_yuan_per_segment.unit_label)})}, svg);
    }

    // --- the scenario as scenario --json prints it --------------------------------------------
    function overrides() {
      var out = {}, v = state.values;
      cfg.scenario.parameters.forEach(function (name) {
        if (!(name in v)) return;
        var reference = name === "recipient_persons" ? personsByRule(v.recipient_households, facts)
                                                     : presetValue(name, state.preset);
        if (v[name] !== reference) out[name] = v[name];
      });
      return out;
    }

    function scenarioJson() {
      var r = state.result, v = state.values, obj = {preset: state.preset, overrides: overrides()};
      cfg.scenario.outputs.forEach(function (key) { obj[key] = isFinite(r[key]) ? r[key] : null; });
      var parameters = Object.assign({}, cfg.scenario.preset_parameters[state.preset]);
      cfg.scenario.parameters.forEach(function (name) { if (name in v) parameters[name] = v[name]; });
      obj.parameters = parameters;
      obj.outside_range = cfg.scenario.parameters.filter(function (name) {
        var range = cfg.scenario.ranges[name];
        return range !== undefined && !(range[0] <= parameters[name] && parameters[name] <= range[1]);
      });
      obj.policy_levers = cfg.scenario.policy_levers.slice();
      return obj;
    }

    function downloadScenario() {
      var blob = new Blob([JSON.stringify(scenarioJson(), null, 2) + "\n"], {type: "application/json"});
      var a = el("a", {href: URL.createObjectURL(blob), download: "scenario-" + state.preset + ".json"});
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
    }

    // --- the URL: ?preset=..&<name>=<value> for every input that differs from the preset ---------
    function writeUrl() {
      var params = new URLSearchParams(window.location.search);
      params.delete("preset");
      all.forEach(function (input) { params.delete(input.name); });
      if (state.preset !== cfg.default_preset) params.set("preset", state.preset);
      var v = state.values;
      all.forEach(function (input) {
        if (!fields[input.name]) return;
        var reference = input.name === "recipient_persons" ? personsByRule(v.recipient_households, facts)
                                                           : presetValue(input.name, state.preset);
        if (input.name === "recipient_persons" ? state.personsPinned : v[input.name] !== reference) {
          params.set(input.name, String(v[input.name]));
        }
      });
      var query = params.toString();
      try {
        history.replaceState(history.state, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
      } catch (e) { /* a file: page may refuse; the explorer works without it */ }
    }

    function readUrl(params) {
      var preset = params.get("preset");
      applyPreset(cfg.presets.indexOf(preset) >= 0 ? preset : cfg.default_preset);
      all.forEach(function (input) {
        if (fields[input.name] && params.has(input.name)) fields[input.name].value = params.get(input.name);
      });
      if (fields.recipient_persons && params.has("recipient_persons")) state.personsPinned = true;
      if (params.has("recipient_households")) state.mode = recipientMode(Number(params.get("recipient_households")));
    }

    var initial = new URLSearchParams(window.location.search);
    build();
    applyPreset(cfg.default_preset);
    update(true);  // the default preset: the last valid result if the URL holds a bad value
    readUrl(initial);
    update();
  }

  var roots = document.querySelectorAll("[data-explorer]:not([data-explorer-ready])");
  Array.prototype.forEach.call(roots, function (root) {
    root.setAttribute("data-explorer-ready", "");
    Explorer(root);
  });
})();
