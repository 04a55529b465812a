// The query page: YASGUI over this service's endpoint, one tab per example query.
// Settings come from the page's JSON block (#kg-settings):
// {endpoint, examples: [{id, name, query}], questions: [{id, name, query}]}.
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("kg-settings").textContent);
  var endpoint = new URL(settings.endpoint, window.location.href).href;

  // Class and property completion asks Linked Open Vocabularies (another host): turn it off so
  // the page only ever talks to this service. Prefix completion uses YASQE's built-in list.
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(
    function (name) { return name !== "class" && name !== "property"; }
  );

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    persistenceId: null, // nothing kept in localStorage: every visit opens on the examples
    autoAddOnInit: false,
    copyEndpointOnNewTab: true,
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
  });

  var openFirst = !yasgui.getTab(); // a tab from a shared link stays the active one
  settings.examples.forEach(function (example, index) {
    yasgui.addTab(openFirst && index === 0, {
      name: example.name,
      yasqe: { value: example.query },
      requestConfig: { endpoint: endpoint },
    });
  });
  if (!yasgui.getTab()) {
    yasgui.addTab(true, { requestConfig: { endpoint: endpoint } });
  }

  // The question catalogue: choosing a question opens its query (default parameters bound).
  var questions = {};
  settings.questions.forEach(function (question) { questions[question.id] = question; });
  document.getElementById("kg-questions").addEventListener("change", function (event) {
    var question = questions[event.target.value];
    if (question) {
      yasgui.addTab(true, {
        name: question.name,
        yasqe: { value: question.query },
        requestConfig: { endpoint: endpoint },
      });
    }
    event.target.value = "";
  });

  window.yasgui = yasgui; // for the browser test and for the curious
})();
