/*
 * Protégé-parser check for the kgservice ontologies.
 *
 * Loads an ontology (and its owl:imports closure) with the OWL API -- the parser Protégé uses --
 * and prints exactly one JSON object on stdout describing what was loaded, which RDF triples the
 * OWL API could not map to axioms, and every OWL 2 DL profile violation.
 *
 * Usage:
 *   java -cp <owlapi classpath>:<dir of this class> OntologyCheck
 *        [--catalog catalog-v001.xml] [--allow-network] ontology.(ttl|owl|rdf|owx)
 *
 * The parser is chosen from the file extension of every document (the top file and each import),
 * never by letting the OWL API try every parser: tried in turn, some parser may accept a broken
 * document as an empty ontology. Imports are resolved through the Protégé catalog only; loading
 * from the network is off unless --allow-network is given.
 *
 * Exit codes: 0 loaded and clean, 1 loaded with unparsed triples or profile violations,
 * 2 could not load (the JSON "error" says why).
 */

import java.io.File;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.stream.Collectors;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.OWLXMLDocumentFormat;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.formats.RioTurtleDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.IRIDocumentSource;
import org.semanticweb.owlapi.io.OWLOntologyDocumentSource;
import org.semanticweb.owlapi.io.OWLOntologyLoaderMetaData;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyFactory;
import org.semanticweb.owlapi.model.OWLOntologyID;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.OWLRuntimeException;
import org.semanticweb.owlapi.owlxml.parser.OWLXMLParserFactory;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.rdf.rdfxml.parser.RDFXMLParserFactory;
import org.semanticweb.owlapi.rio.RioTurtleParserFactory;
import org.semanticweb.owlapi.util.SimpleIRIMapper;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

public final class OntologyCheck {

    static final int EXIT_CLEAN = 0;
    static final int EXIT_NOT_CLEAN = 1;
    static final int EXIT_LOAD_FAILED = 2;
    static final int MAX_UNPARSED_EXAMPLES = 10;
    static final String SUPPORTED = ".ttl (Turtle), .owl/.rdf (RDF/XML), .owx (OWL/XML)";

    private OntologyCheck() {}

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Json result;
        int exit;
        try {
            Options options = Options.parse(args);
            Outcome outcome = check(options);
            result = outcome.json;
            exit = outcome.exitCode;
        } catch (Throwable e) { // every failure must still yield one JSON object
            result = failure(describe(e));
            exit = EXIT_LOAD_FAILED;
        }
        out.println(result.render());
        out.flush();
        System.exit(exit);
    }

    // ------------------------------------------------------------------ command line

    static final class Options {
        File ontology;
        File catalog;
        boolean allowNetwork;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if ("--catalog".equals(a) && i + 1 < args.length) {
                    o.catalog = new File(args[++i]);
                } else if ("--allow-network".equals(a)) {
                    o.allowNetwork = true;
                } else if (a.startsWith("--") || o.ontology != null) {
                    throw new IllegalArgumentException("usage: OntologyCheck [--catalog FILE]"
                            + " [--allow-network] ONTOLOGY_FILE (unexpected argument: " + a + ")");
                } else {
                    o.ontology = new File(a);
                }
            }
            if (o.ontology == null) {
                throw new IllegalArgumentException(
                        "usage: OntologyCheck [--catalog FILE] [--allow-network] ONTOLOGY_FILE");
            }
            return o;
        }
    }

    // ------------------------------------------------------------------ the check

    static final class Outcome {
        final Json json;
        final int exitCode;

        Outcome(Json json, int exitCode) {
            this.json = json;
            this.exitCode = exitCode;
        }
    }

    static Outcome check(Options options) throws Exception {
        File file = options.ontology.getAbsoluteFile();
        if (!file.isFile()) {
            return new Outcome(failure("ontology file not found: " + file), EXIT_LOAD_FAILED);
        }
        OWLDocumentFormat format = formatForName(file.getName());
        if (format == null) {
            return new Outcome(failure("unsupported file extension: " + file.getName()
                    + "; supported: " + SUPPORTED), EXIT_LOAD_FAILED);
        }
        OWLOntologyManager manager = newManager(options.allowNetwork);
        if (options.catalog != null) {
            registerCatalog(manager, options.catalog.getAbsoluteFile());
        }
        OWLOntology top;
        try {
            top = manager.loadOntologyFromOntologyDocument(
                    new FileDocumentSource(file, format), loaderConfiguration(manager));
        } catch (OWLOntologyCreationException | OWLRuntimeException e) {
            return new Outcome(failure(describe(e)), EXIT_LOAD_FAILED); // e.g. a parse error
        } catch (RuntimeException e) { // a bug in a parser, triggered by malformed input
            return new Outcome(failure("the OWL API failed while loading " + file
                    + " or one of its imports: " + describe(e)), EXIT_LOAD_FAILED);
        }
        return report(manager, top);
    }

    static Outcome report(OWLOntologyManager manager, OWLOntology top) {
        List<Json> ontologies = new ArrayList<>();
        int unparsedTotal = 0;
        for (OWLOntology ont : importsClosureInOrder(top)) {
            List<String> unparsed = unparsedTriples(manager.getOntologyFormat(ont));
            unparsedTotal += unparsed.size();
            ontologies.add(Json.object()
                    .put("iri", ont.getOntologyID().getOntologyIRI().map(IRI::toString).orElse(null))
                    .put("version_iri",
                            ont.getOntologyID().getVersionIRI().map(IRI::toString).orElse(null))
                    .put("document", String.valueOf(manager.getOntologyDocumentIRI(ont)))
                    .put("format", formatName(manager.getOntologyFormat(ont)))
                    .put("axioms", ont.getAxiomCount())
                    .put("logical_axioms", ont.getLogicalAxiomCount())
                    .put("unparsed_triples", unparsed.size())
                    .put("unparsed_examples", Json.array(unparsed.stream()
                            .limit(MAX_UNPARSED_EXAMPLES).map(Json::string)
                            .collect(Collectors.toList()))));
        }
        OWL2DLProfile profile = new OWL2DLProfile();
        OWLProfileReport profileReport = profile.checkOntology(top); // covers the imports closure
        List<Json> violations = profileReport.getViolations().stream()
                .map(OntologyCheck::violation)
                .sorted(Comparator.comparing(Json::render))
                .collect(Collectors.toList());
        boolean clean = unparsedTotal == 0 && violations.isEmpty();
        Json json = Json.object()
                .put("ok", clean)
                .put("error", (String) null)
                .put("ontologies", Json.array(ontologies))
                .put("profile", profile.getName())
                .put("violations", Json.array(violations));
        return new Outcome(json, clean ? EXIT_CLEAN : EXIT_NOT_CLEAN);
    }

    static Json violation(OWLProfileViolation v) {
        OWLAxiom axiom = v.getAxiom();
        return Json.object()
                .put("type", v.getClass().getSimpleName())
                .put("ontology", ontologyName(v.getOntology()))
                .put("axiom", axiom == null ? null : axiom.toString())
                .put("message", v.toString());
    }

    /** The top ontology first, then its imports breadth-first, each level sorted by IRI. */
    static List<OWLOntology> importsClosureInOrder(OWLOntology top) {
        Set<OWLOntology> seen = new LinkedHashSet<>();
        Deque<OWLOntology> queue = new ArrayDeque<>();
        queue.add(top);
        while (!queue.isEmpty()) {
            OWLOntology ont = queue.removeFirst();
            if (seen.add(ont)) {
                ont.directImports()
                        .sorted(Comparator.comparing(OntologyCheck::ontologyName))
                        .forEach(queue::addLast);
            }
        }
        return new ArrayList<>(seen);
    }

    static List<String> unparsedTriples(OWLDocumentFormat format) {
        if (format == null) {
            return List.of();
        }
        Optional<OWLOntologyLoaderMetaData> meta = format.getOntologyLoaderMetaData();
        if (!meta.isPresent()) {
            return List.of();
        }
        return meta.get().getUnparsedTriples().map(RDFTriple::toString).sorted()
                .collect(Collectors.toList());
    }

    // ------------------------------------------------------------------ OWL API set-up

    static OWLOntologyManager newManager(boolean allowNetwork) {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        // Only the parsers Protégé ends up using for our three formats. For Turtle that is the
        // RDF4J Rio parser (priority 3, tried long before the OWL API's own Turtle parser at 12);
        // RDF/XML and OWL/XML are the OWL API's native parsers (priorities 0 and 1).
        manager.getOntologyParsers().set(new RioTurtleParserFactory(),
                new RDFXMLParserFactory(), new OWLXMLParserFactory());
        // Imports are loaded from an IRIDocumentSource without a format, which would make the
        // OWL API try every parser in turn. Wrap the ontology factory so every document gets the
        // format (and so the single parser) its file extension names.
        List<OWLOntologyFactory> factories = new ArrayList<>();
        manager.getOntologyFactories().forEach(factories::add);
        if (factories.size() != 1) {
            throw new IllegalStateException("expected one OWL ontology factory, found " + factories);
        }
        manager.getOntologyFactories().set(new FormatByExtensionFactory(factories.get(0),
                allowNetwork));
        return manager;
    }

    static OWLOntologyLoaderConfiguration loaderConfiguration(OWLOntologyManager manager) {
        return manager.getOntologyLoaderConfiguration()
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.THROW_EXCEPTION)
                .setReportStackTraces(false)
                .setConnectionTimeout(20_000)
                .setRetriesToAttempt(1);
    }

    /** The document format, and so the parser, for a file name or IRI; null if unsupported. */
    static OWLDocumentFormat formatForName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        int cut = lower.indexOf('#');
        if (cut >= 0) {
            lower = lower.substring(0, cut);
        }
        if (lower.endsWith(".ttl")) {
            return new RioTurtleDocumentFormat();
        }
        if (lower.endsWith(".owl") || lower.endsWith(".rdf")) {
            return new RDFXMLDocumentFormat();
        }
        if (lower.endsWith(".owx")) {
            return new OWLXMLDocumentFormat();
        }
        return null;
    }

    static String formatName(OWLDocumentFormat format) {
        return format == null ? null : format.getKey();
    }

    /** Chooses the parser for every document by its extension; refuses unmapped remote IRIs. */
    static final class FormatByExtensionFactory implements OWLOntologyFactory {
        private static final long serialVersionUID = 1L;
        private final OWLOntologyFactory delegate;
        private final boolean allowNetwork;

        FormatByExtensionFactory(OWLOntologyFactory delegate, boolean allowNetwork) {
            this.delegate = delegate;
            this.allowNetwork = allowNetwork;
        }

        @Override
        public OWLOntology createOWLOntology(OWLOntologyManager manager, OWLOntologyID id,
                IRI documentIRI, OWLOntologyCreationHandler handler)
                throws OWLOntologyCreationException {
            return delegate.createOWLOntology(manager, id, documentIRI, handler);
        }

        @Override
        public OWLOntology loadOWLOntology(OWLOntologyManager manager,
                OWLOntologyDocumentSource source, OWLOntologyCreationHandler handler,
                OWLOntologyLoaderConfiguration configuration) throws OWLOntologyCreationException {
            return delegate.loadOWLOntology(manager, withFormat(source), handler, configuration);
        }

        private OWLOntologyDocumentSource withFormat(OWLOntologyDocumentSource source)
                throws OWLOntologyCreationException {
            if (source.getFormat().isPresent()) {
                return source;
            }
            IRI document = source.getDocumentIRI();
            boolean local = "file".equalsIgnoreCase(document.getScheme());
            if (!local && !allowNetwork) {
                throw new OWLOntologyCreationException("document " + document
                        + " is not mapped to a local file by the catalog, and network loading is"
                        + " disabled");
            }
            OWLDocumentFormat format = formatForName(document.toString());
            if (format == null) {
                if (local) {
                    throw new OWLOntologyCreationException("unsupported file extension: "
                            + document + "; supported: " + SUPPORTED);
                }
                return source; // a remote IRI without extension: content negotiation decides
            }
            return new IRIDocumentSource(document, format, null);
        }

        @Override
        public boolean canCreateFromDocumentIRI(IRI documentIRI) {
            return delegate.canCreateFromDocumentIRI(documentIRI);
        }

        @Override
        public boolean canAttemptLoading(OWLOntologyDocumentSource source) {
            return delegate.canAttemptLoading(source);
        }

        @Override
        public void setLock(ReadWriteLock lock) {
            delegate.setLock(lock);
        }
    }

    // ------------------------------------------------------------------ Protégé catalog

    /** Registers a SimpleIRIMapper for every {@code <uri name=".." uri=".."/>} entry. */
    static void registerCatalog(OWLOntologyManager manager, File catalog) throws Exception {
        if (!catalog.isFile()) {
            throw new IllegalArgumentException("catalog file not found: " + catalog);
        }
        Document doc = parseXml(catalog);
        NodeList entries = doc.getElementsByTagNameNS("*", "uri");
        for (int i = 0; i < entries.getLength(); i++) {
            Element entry = (Element) entries.item(i);
            String name = entry.getAttribute("name").trim();
            String target = entry.getAttribute("uri").trim();
            if (name.isEmpty() || target.isEmpty()) {
                continue;
            }
            URI document = baseOf(entry, catalog.toURI()).resolve(uriReference(target));
            manager.getIRIMappers().add(new SimpleIRIMapper(IRI.create(name),
                    IRI.create(document)));
        }
    }

    static Document parseXml(File file) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setExpandEntityReferences(false);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd",
                false);
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        DocumentBuilder builder = factory.newDocumentBuilder();
        builder.setErrorHandler(null);
        return builder.parse(file);
    }

    /** The catalog file URI, adjusted by any non-empty xml:base on the entry's ancestors. */
    static URI baseOf(Element entry, URI catalogUri) {
        List<String> bases = new ArrayList<>();
        for (Node n = entry; n instanceof Element; n = n.getParentNode()) {
            String base = ((Element) n).getAttributeNS(XMLConstants.XML_NS_URI, "base").trim();
            if (!base.isEmpty()) {
                bases.add(0, base);
            }
        }
        URI result = catalogUri;
        for (String base : bases) {
            result = result.resolve(uriReference(base));
        }
        return result;
    }

    /** A URI reference from a catalog attribute, tolerating plain paths with spaces etc. */
    static URI uriReference(String value) {
        try {
            return new URI(value);
        } catch (Exception e) {
            try {
                return new URI(null, null, value.replace(File.separatorChar, '/'), null);
            } catch (Exception again) {
                throw new IllegalArgumentException("bad catalog uri: " + value, again);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    static String ontologyName(OWLOntology ont) {
        if (ont == null) {
            return null;
        }
        Optional<IRI> iri = ont.getOntologyID().getOntologyIRI();
        if (iri.isPresent()) {
            return iri.get().toString();
        }
        return "anonymous ontology from " + ont.getOWLOntologyManager().getOntologyDocumentIRI(ont);
    }

    static Json failure(String error) {
        return Json.object()
                .put("ok", false)
                .put("error", error)
                .put("ontologies", Json.array(List.of()))
                .put("profile", "OWL 2 DL")
                .put("violations", Json.array(List.of()));
    }

    /**
     * The exception's message followed by those of its causes that add something, without stack
     * traces or object identity hashes (so the text is the same from run to run).
     */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = new LinkedHashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage().strip();
            if (!message.isEmpty() && sb.indexOf(message) >= 0) {
                continue; // already quoted by the wrapping exception
            }
            sb.append(sb.length() == 0 ? "" : "\nCaused by: ").append(t.getClass().getSimpleName())
                    .append(message.isEmpty() ? "" : ": " + message);
        }
        return sb.toString().replaceAll("@[0-9a-f]{4,8}\\b", "");
    }

    // ------------------------------------------------------------------ minimal JSON writer

    /** Just enough JSON: objects (insertion ordered), arrays, strings, numbers, booleans. */
    static final class Json {
        private final StringBuilder text = new StringBuilder();
        private final boolean isObject;
        private boolean empty = true;
        private boolean closed;

        private Json(boolean isObject, String literal) {
            this.isObject = isObject;
            if (literal != null) {
                text.append(literal);
                closed = true;
            }
        }

        static Json object() {
            Json j = new Json(true, null);
            j.text.append('{');
            return j;
        }

        static Json array(List<Json> items) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < items.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(items.get(i).render());
            }
            return new Json(false, sb.append(']').toString());
        }

        static Json string(String s) {
            return new Json(false, s == null ? "null" : quote(s));
        }

        Json put(String key, String value) {
            return putRaw(key, value == null ? "null" : quote(value));
        }

        Json put(String key, boolean value) {
            return putRaw(key, Boolean.toString(value));
        }

        Json put(String key, int value) {
            return putRaw(key, Integer.toString(value));
        }

        Json put(String key, Json value) {
            return putRaw(key, value.render());
        }

        private Json putRaw(String key, String rendered) {
            if (!isObject || closed) {
                throw new IllegalStateException("not an open JSON object");
            }
            text.append(empty ? "" : ",").append(quote(key)).append(':').append(rendered);
            empty = false;
            return this;
        }

        String render() {
            return isObject && !closed ? text + "}" : text.toString();
        }

        static String quote(String s) {
            StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"': sb.append("\\\""); break;
                    case '\\': sb.append("\\\\"); break;
                    case '\n': sb.append("\\n"); break;
                    case '\r': sb.append("\\r"); break;
                    case '\t': sb.append("\\t"); break;
                    case '\b': sb.append("\\b"); break;
                    case '\f': sb.append("\\f"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029'
                                || (Character.isSurrogate(c) && !pairedSurrogate(s, i))) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                }
            }
            return sb.append('"').toString();
        }

        /** True if the surrogate at i is half of a valid pair (so UTF-8 can encode it). */
        private static boolean pairedSurrogate(String s, int i) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            }
            return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
        }
    }
}
