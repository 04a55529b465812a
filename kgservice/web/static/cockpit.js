// The city cockpit: numbers and charts for a county or township, from the service's named
// questions (SPARQL JSON results), drawn with Apache ECharts. Settings come from the page's JSON
// block (#kg-settings): {questions: {summary, entities, facilities, quality}, city, county}.
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("kg-settings").textContent);
  var questions = settings.questions;
  var charts = {};
  var state = { counties: [], townships: [], county: null, shown: {} };

  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id));
      window.addEventListener("resize", function () { charts[id].resize(); });
    }
    return charts[id];
  }

  function status(text) {
    document.getElementById("status").textContent = text;
  }

  // A question's answer as a list of {variable: value} rows.
  function ask(url, params) {
    var query = new URLSearchParams(params || {}).toString();
    return fetch(url + (query ? "?" + query : ""), {
      headers: { Accept: "application/sparql-results+json" },
    }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) { throw new Error(text); });
      }
      return response.json();
    }).then(function (json) {
      return json.results.bindings.map(function (binding) {
        var row = {};
        Object.keys(binding).forEach(function (name) { row[name] = binding[name].value; });
        return row;
      });
    });
  }

  // Sum ``value(row)`` by ``key(row)``; [[key, total], …] in order of first appearance.
  function totals(rows, key, value) {
    var order = [];
    var sums = {};
    rows.forEach(function (row) {
      var name = key(row);
      if (!(name in sums)) { order.push(name); sums[name] = 0; }
      sums[name] += value(row);
    });
    return order.map(function (name) { return [name, sums[name]]; });
  }

  function both(zh, en) {
    if (!zh && !en) { return "未知 / unknown"; }
    return en && en !== zh ? zh + " / " + en : zh || en;
  }

  function fill(select, rows, first) {
    select.innerHTML = "";
    if (first) { select.appendChild(new Option(first, "")); }
    rows.forEach(function (row) { select.appendChild(new Option(row.name, row.code)); });
  }

  function bar(id, pairs, horizontal) {
    var names = pairs.map(function (pair) { return pair[0]; });
    var values = pairs.map(function (pair) { return pair[1]; });
    var category = { type: "category", data: names, axisLabel: { interval: 0, width: 140, overflow: "truncate" } };
    var number = { type: "value", minInterval: 1 };
    chart(id).setOption({
      tooltip: {},
      grid: { left: horizontal ? 150 : 40, right: 20, top: 10, bottom: horizontal ? 20 : 60 },
      xAxis: horizontal ? number : category,
      yAxis: horizontal ? category : number,
      series: [{ type: "bar", data: values }],
    }, true);
  }

  function showDivision(row) {
    var division = row.code;
    state.shown = { division: division, residents: Number(row.residents),
      entities: Number(row.entities), facilities: Number(row.facilities) };
    document.getElementById("kpi-residents").textContent = row.residents;
    document.getElementById("kpi-entities").textContent = row.entities;
    document.getElementById("kpi-facilities").textContent = row.facilities;
    status("加载中… / loading…");
    document.body.removeAttribute("data-ready");
    return Promise.all([
      ask(questions.entities, { division: division }),
      ask(questions.facilities, { division: division }),
    ]).then(function (answers) {
      var entities = answers[0];
      var facilities = answers[1];
      var count = function (r) { return Number(r.entities); };
      state.shown.byStatus = totals(entities, function (r) { return both(r.statusZh, r.statusEn); }, count);
      state.shown.byIndustry = totals(entities, function (r) { return both(r.industryZh, r.industryEn); }, count);
      state.shown.byFacilityType = totals(facilities, function (r) { return both(r.typeZh, r.typeEn); },
        function () { return 1; });
      chart("chart-status").setOption({
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["35%", "65%"],
          data: state.shown.byStatus.map(function (p) { return { name: p[0], value: p[1] }; }) }],
      }, true);
      bar("chart-industry", state.shown.byIndustry, true);
      bar("chart-facility-types", state.shown.byFacilityType, true);
      var located = facilities.filter(function (r) { return r.longitude && r.latitude; });
      chart("chart-facility-map").setOption({
        tooltip: { formatter: function (p) { return p.data[2] + "<br>" + p.data[3]; } },
        xAxis: { type: "value", scale: true, name: "经度 / lon" },
        yAxis: { type: "value", scale: true, name: "纬度 / lat" },
        series: [{ type: "scatter", symbolSize: 9, data: located.map(function (r) {
          return [Number(r.longitude), Number(r.latitude), r.name || r.facility, both(r.typeZh, r.typeEn)];
        }) }],
      }, true);
      status("");
      document.body.setAttribute("data-ready", division);
    });
  }

  function showCounty(code) {
    var county = state.counties.find(function (row) { return row.code === code; });
    state.county = county;
    return ask(questions.summary, { parent: code }).then(function (townships) {
      state.townships = townships;
      fill(document.getElementById("township"), townships, "全部 / All");
      var names = townships.map(function (r) { return r.name; });
      chart("chart-divisions").setOption({
        tooltip: { trigger: "axis" },
        legend: { data: ["居民 / residents", "法人 / entities", "设施 / facilities"] },
        grid: { left: 50, right: 50, top: 30, bottom: 80 },
        xAxis: { type: "category", data: names, axisLabel: { rotate: 40, interval: 0 } },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1 }],
        series: [
          { name: "居民 / residents", type: "bar", data: townships.map(function (r) { return Number(r.residents); }) },
          { name: "法人 / entities", type: "bar", yAxisIndex: 1, data: townships.map(function (r) { return Number(r.entities); }) },
          { name: "设施 / facilities", type: "bar", yAxisIndex: 1, data: townships.map(function (r) { return Number(r.facilities); }) },
        ],
      }, true);
      return showDivision(county);
    });
  }

  function showQuality() {
    if (!questions.quality) {  // no findings question in this catalogue: no chart
      document.getElementById("chart-quality").closest("figure").hidden = true;
      return Promise.resolve();
    }
    return ask(questions.quality).then(function (rows) {
      var pairs = totals(rows, function (r) { return both(r.departmentName || r.department, r.departmentNameEn); },
        function (r) { return Number(r.findings); });
      state.quality = pairs;
      bar("chart-quality", pairs, true);
    });
  }

  function fail(error) {
    status("出错 / error: " + error.message);
    document.body.setAttribute("data-error", error.message);
  }

  document.getElementById("county").addEventListener("change", function (event) {
    showCounty(event.target.value).catch(fail);
  });
  document.getElementById("township").addEventListener("change", function (event) {
    var code = event.target.value;
    var row = code ? state.townships.find(function (r) { return r.code === code; }) : state.county;
    showDivision(row).catch(fail);
  });

  ask(questions.summary, { parent: settings.city }).then(function (counties) {
    state.counties = counties;
    fill(document.getElementById("county"), counties);
    var start = counties.some(function (r) { return r.code === settings.county; })
      ? settings.county : (counties[0] || {}).code;
    document.getElementById("county").value = start;
    return Promise.all([showCounty(start), showQuality()]);
  }).catch(fail);

  window.cockpit = { charts: charts, state: state }; // for the browser test and the curious
})();
