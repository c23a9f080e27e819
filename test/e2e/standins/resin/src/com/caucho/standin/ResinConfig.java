/*
 * The parts of resin.xml the cocca-bake Resin stand-in reads, parsed namespace-aware.
 *
 * Elements count when they are in Resin's namespace (http://caucho.com/ns/resin) or in none;
 * others (resin:import, ...) are skipped. As in Resin, a configuration attribute may also be
 * written as a child element (<server id="a"> or <server><id>a</id>). The stand-in evaluates no
 * EL: a value it uses that holds ${...} or #{...} is refused.
 *
 * What is read, for the server picked by -server (or the only <server>):
 *   <system-property .../>                       set as JVM system properties (JSSE settings)
 *   <cluster id><server id address port>         address must be local; port = cluster port
 *     <watchdog-port>                            bound on 127.0.0.1
 *     <http address port> [<jsse-ssl>]            also from <server-default> in <cluster> and
 *                                                <cluster-default>, as Resin merges them
 *   <database jndi-name><driver type><url><user><password>   in the cluster or at top level
 *   <host id root-directory> <host-alias> <web-app-deploy path> <access-log path>
 *                                                also from <host-default>
 */
package com.caucho.standin;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

final class ResinConfig {
  static final String RESIN_NS = "http://caucho.com/ns/resin";

  static final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    ConfigException(String message) {
      super(message);
    }
  }

  static final class Ssl {
    String keyStoreType;
    File keyStoreFile;
    String password;
    String alias;
    String[] protocols;
  }

  static final class Listener {
    /** "*" or an address */
    String address;
    int port;
    /** null for plain HTTP */
    Ssl ssl;
    /** where it was configured, for messages */
    String where;

    String scheme() {
      return ssl == null ? "http" : "https";
    }
  }

  static final class Database {
    String jndiName;
    String driverType;
    String url;
    String user;
    String password;
  }

  static final class Host {
    /** "" is Resin's default host */
    String id;
    List<String> aliases = new ArrayList<String>();
    File rootDirectory;
    /** null when no <web-app-deploy> applies: Resin then deploys no .war */
    File webappsDirectory;
    File accessLog;
  }

  File confFile;
  File rootDirectory;
  String clusterId;
  String serverId;
  String serverAddress;
  int clusterPort;
  int watchdogPort;
  Map<String, String> systemProperties = new TreeMap<String, String>();
  List<Listener> listeners = new ArrayList<Listener>();
  List<Host> hosts = new ArrayList<Host>();
  Database database;
  /** all servers in the file, "cluster/server" */
  List<String> allServers = new ArrayList<String>();

  // ---------------------------------------------------------------------------------------------

  static ResinConfig load(File conf, File root, String wantedServer) throws ConfigException {
    Document doc = parse(conf);
    ResinConfig c = new ResinConfig();
    c.confFile = conf;
    c.rootDirectory = root;

    Element resin = doc.getDocumentElement();
    if (!isResin(resin) || !"resin".equals(resin.getLocalName())) {
      throw new ConfigException("the root element is <" + resin.getTagName() + "> (namespace " + resin.getNamespaceURI()
          + "), not <resin xmlns=\"" + RESIN_NS + "\">");
    }

    for (Element sp : kids(resin, "system-property")) {
      NamedNodeMap attrs = sp.getAttributes();
      for (int i = 0; i < attrs.getLength(); i++) {
        Node a = attrs.item(i);
        if (a.getNamespaceURI() != null) continue; // xmlns declarations
        c.systemProperties.put(a.getNodeName(), noEl("<system-property " + a.getNodeName() + ">", a.getNodeValue(), false));
      }
    }

    List<Element> clusterDefaults = kids(resin, "cluster-default");
    List<Element[]> pairs = new ArrayList<Element[]>();
    boolean multi = false;
    for (Element cl : kids(resin, "cluster")) {
      String clId = nz(value(cl, "id", "<cluster>", false));
      for (Element sv : kids(cl, "server")) {
        pairs.add(new Element[] {cl, sv});
        c.allServers.add(clId + "/" + nz(value(sv, "id", "<server>", false)));
      }
      if (!kids(cl, "server-multi").isEmpty()) multi = true;
    }
    String noMulti = multi ? " (<server-multi> is not supported by the stand-in: write <server id address port>)" : "";
    Element[] picked = null;
    if (wantedServer != null) {
      for (Element[] pair : pairs) {
        if (wantedServer.equals(nz(value(pair[1], "id", "<server>", false)))) {
          picked = pair;
          break;
        }
      }
      if (picked == null) {
        throw new ConfigException("it has no <server id=\"" + wantedServer + "\"> (servers, as cluster/server: " + c.allServers
            + ")" + noMulti + "; resinctl -server names a server of resin.xml");
      }
    } else if (pairs.size() == 1) {
      picked = pairs.get(0);
    } else if (pairs.isEmpty()) {
      throw new ConfigException("it has no <server> in any <cluster>" + noMulti);
    } else {
      throw new ConfigException("it has several <server>s (as cluster/server: " + c.allServers + "): name one with -server ID");
    }
    Element cluster = picked[0];
    Element server = picked[1];

    c.clusterId = nz(value(cluster, "id", "<cluster>", false));
    c.serverId = nz(value(server, "id", "<server>", false));
    String where = "<server id=\"" + c.serverId + "\">";
    String address = value(server, "address", where, false);
    c.serverAddress = address == null || address.isEmpty() ? "127.0.0.1" : address;
    c.clusterPort = port(value(server, "port", where, false), 6800, where + " port");

    // <server-default>s apply to every server of their cluster, the cluster-default ones first.
    List<Element> serverScopes = new ArrayList<Element>();
    for (Element cd : clusterDefaults) serverScopes.addAll(kids(cd, "server-default"));
    serverScopes.addAll(kids(cluster, "server-default"));
    serverScopes.add(server);

    String watchdog = null;
    for (Element scope : serverScopes) {
      String w = value(scope, "watchdog-port", "<" + scope.getLocalName() + ">", false);
      if (w != null) watchdog = w;
    }
    c.watchdogPort = port(watchdog, 6600, where + " watchdog-port");

    for (Element scope : serverScopes) {
      String scopeName = scope == server ? where : "<" + scope.getLocalName() + ">";
      for (Element http : kids(scope, "http")) c.listeners.add(listener(http, scopeName, root));
      if (!kids(scope, "https").isEmpty()) throw new ConfigException(scopeName + ": <https> is not supported: write <http> with <jsse-ssl>");
    }
    if (c.listeners.isEmpty()) throw new ConfigException(where + " has no <http> listener (nor its <server-default>s)");
    Map<Integer, String> ports = new TreeMap<Integer, String>();
    ports.put(c.clusterPort, "the cluster port");
    for (Listener l : c.listeners) {
      String other = ports.put(l.port, l.where + " <http port=\"" + l.port + "\">");
      if (other != null) throw new ConfigException(l.where + ": <http> port " + l.port + " is also used by " + other);
    }

    // <database>: the cluster's, else a top-level one.
    List<Element> dbs = new ArrayList<Element>(kids(cluster, "database"));
    dbs.addAll(kids(resin, "database"));
    if (!dbs.isEmpty()) c.database = database(dbs.get(0));

    List<Element> hostDefaults = new ArrayList<Element>();
    for (Element cd : clusterDefaults) hostDefaults.addAll(kids(cd, "host-default"));
    hostDefaults.addAll(kids(cluster, "host-default"));
    for (Element h : kids(cluster, "host")) c.hosts.add(host(h, hostDefaults, root));
    return c;
  }

  private static Listener listener(Element http, String scope, File root) throws ConfigException {
    Listener l = new Listener();
    l.where = scope;
    String addr = value(http, "address", scope + " <http>", false);
    if (addr == null) addr = value(http, "host", scope + " <http>", false);
    l.address = addr == null || addr.isEmpty() ? "*" : addr;
    String p = value(http, "port", scope + " <http>", false);
    if (p == null) throw new ConfigException(scope + ": <http> needs a port");
    l.port = port(p, 0, scope + " <http port>");
    String here = scope + " <http port=\"" + l.port + "\">";
    if (!kids(http, "openssl").isEmpty()) {
      throw new ConfigException(here + ": <openssl> requires Resin Professional; Resin OSS (and this stand-in) supports <jsse-ssl> only");
    }
    List<Element> jsse = kids(http, "jsse-ssl");
    if (jsse.isEmpty()) return l;
    Element j = jsse.get(0);
    String jWhere = here + " <jsse-ssl>";
    if (value(j, "self-signed-certificate-name", jWhere, false) != null) {
      throw new ConfigException(jWhere + ": self-signed-certificate-name is not supported by the stand-in");
    }
    Ssl ssl = new Ssl();
    String type = value(j, "key-store-type", jWhere, false);
    ssl.keyStoreType = type == null || type.isEmpty() ? "jks" : type;
    String file = value(j, "key-store-file", jWhere, false);
    if (file == null || file.isEmpty()) throw new ConfigException(jWhere + ": key-store-file is required");
    // Relative paths are Resin paths: relative to the root directory.
    File f = new File(file);
    ssl.keyStoreFile = f.isAbsolute() ? f : new File(root, file);
    ssl.password = value(j, "password", jWhere, true);
    if (ssl.password == null) throw new ConfigException(jWhere + ": password is required (the key store and key password, which Resin needs equal)");
    ssl.alias = value(j, "alias", jWhere, false);
    String protocol = value(j, "protocol", jWhere, false);
    if (protocol != null && !protocol.trim().isEmpty()) {
      String[] names = protocol.trim().split("[\\s,]+");
      for (int i = 0; i < names.length; i++) names[i] = protocolName(names[i]);
      ssl.protocols = names;
    }
    l.ssl = ssl;
    return l;
  }

  private static String protocolName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.startsWith("tlsv")) return "TLSv" + n.substring(4);
    if (n.startsWith("sslv")) return "SSLv" + n.substring(4);
    return name;
  }

  private static Database database(Element db) throws ConfigException {
    Database d = new Database();
    d.jndiName = nz(value(db, "jndi-name", "<database>", false));
    String where = "<database jndi-name=\"" + d.jndiName + "\">";
    List<Element> drivers = kids(db, "driver");
    if (drivers.isEmpty()) throw new ConfigException(where + " has no <driver>");
    Element drv = drivers.get(0);
    d.driverType = value(drv, "type", where + " <driver>", false);
    if (d.driverType == null || d.driverType.isEmpty()) throw new ConfigException(where + ": <driver> needs a type (the JDBC driver class)");
    d.url = value(drv, "url", where + " <driver>", false);
    if (d.url == null || d.url.isEmpty()) throw new ConfigException(where + ": <driver> needs a <url>");
    d.user = value(drv, "user", where + " <driver>", false);
    d.password = value(drv, "password", where + " <driver>", true);
    return d;
  }

  private static Host host(Element h, List<Element> hostDefaults, File root) throws ConfigException {
    Host host = new Host();
    String id = value(h, "id", "<host>", false);
    if (id == null) id = value(h, "host-name", "<host>", false);
    host.id = nz(id).trim();
    String where = "<host id=\"" + host.id + "\">";
    for (Element a : kids(h, "host-alias")) {
      String alias = noEl(where + " <host-alias>", a.getTextContent().trim(), false);
      if (!alias.isEmpty()) host.aliases.add(alias);
    }
    String hostRoot = value(h, "root-directory", where, false);
    host.rootDirectory = resolve(root, hostRoot == null || hostRoot.isEmpty() ? "." : hostRoot);

    List<Element> scopes = new ArrayList<Element>(hostDefaults);
    scopes.add(h);
    String deploy = null;
    String accessLog = null;
    for (Element scope : scopes) {
      String sWhere = scope == h ? where : "<host-default>";
      for (Element wad : kids(scope, "web-app-deploy")) {
        String p = value(wad, "path", sWhere + " <web-app-deploy>", false);
        if (p != null) deploy = p;
      }
      for (Element al : kids(scope, "access-log")) {
        String p = value(al, "path", sWhere + " <access-log>", false);
        if (p != null) accessLog = p;
      }
    }
    host.webappsDirectory = deploy == null ? null : resolve(host.rootDirectory, deploy);
    host.accessLog = accessLog == null ? null : resolve(host.rootDirectory, accessLog);
    return host;
  }

  /** Resin's <host> for a request's Host header: host:port, host, then the default host "". */
  Host findHost(String hostHeader, int port) {
    String raw = hostHeader == null ? "" : hostHeader.trim().toLowerCase(Locale.ROOT);
    String shortHost = raw;
    int p = raw.lastIndexOf(':');
    int q = raw.lastIndexOf(']');
    if (p > 0 && q < p) shortHost = raw.substring(0, p);
    String full = shortHost + ":" + port;
    for (String name : new String[] {full, shortHost, ":" + port}) {
      for (Host h : hosts) {
        if (h.id.equalsIgnoreCase(name)) return h;
        for (String a : h.aliases) if (a.equalsIgnoreCase(name)) return h;
      }
    }
    for (Host h : hosts) if (h.id.isEmpty()) return h;
    return null;
  }

  // ---------------------------------------------------------------------------------------------

  private static Document parse(File conf) throws ConfigException {
    if (!conf.isFile()) throw new ConfigException("no such file (resinctl -conf names Resin's configuration)");
    if (!conf.canRead()) throw new ConfigException("not readable by this user");
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      f.setXIncludeAware(false);
      f.setExpandEntityReferences(false);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      DocumentBuilder b = f.newDocumentBuilder();
      b.setErrorHandler(new ErrorHandler() {
        public void warning(SAXParseException e) {}

        public void error(SAXParseException e) throws SAXException {
          throw e;
        }

        public void fatalError(SAXParseException e) throws SAXException {
          throw e;
        }
      });
      return b.parse(conf);
    } catch (SAXParseException e) {
      throw new ConfigException("not well-formed XML: line " + e.getLineNumber() + ", column " + e.getColumnNumber() + ": " + e.getMessage());
    } catch (SAXException e) {
      throw new ConfigException("cannot parse: " + e.getMessage());
    } catch (IOException e) {
      throw new ConfigException("cannot read: " + e);
    } catch (ParserConfigurationException e) {
      throw new ConfigException("no XML parser: " + e);
    }
  }

  static boolean isResin(Node n) {
    if (n.getNodeType() != Node.ELEMENT_NODE) return false;
    String ns = n.getNamespaceURI();
    return ns == null || ns.isEmpty() || RESIN_NS.equals(ns);
  }

  static List<Element> kids(Element parent, String localName) {
    List<Element> out = new ArrayList<Element>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (isResin(n) && localName.equals(n.getLocalName())) out.add((Element) n);
    }
    return Collections.unmodifiableList(out);
  }

  /** An attribute, or a child element's text (Resin accepts both forms); null when absent. */
  static String value(Element e, String name, String where, boolean secret) throws ConfigException {
    String v = null;
    if (e.hasAttributeNS(null, name)) {
      v = e.getAttributeNS(null, name);
    } else {
      List<Element> k = kids(e, name);
      if (!k.isEmpty()) v = k.get(0).getTextContent();
    }
    if (v == null) return null;
    return noEl(where + " " + name, v.trim(), secret);
  }

  private static String noEl(String where, String v, boolean secret) throws ConfigException {
    if (v.contains("${") || v.contains("#{")) {
      throw new ConfigException(where + ": " + (secret ? "the value" : "\"" + v + "\"")
          + " holds an EL expression (${...} or #{...}); Resin would evaluate it, the stand-in does not");
    }
    return v;
  }

  private static int port(String v, int dflt, String where) throws ConfigException {
    if (v == null || v.isEmpty()) {
      if (dflt > 0) return dflt;
      throw new ConfigException(where + ": a port is required");
    }
    try {
      int p = Integer.parseInt(v);
      if (p >= 1 && p <= 65535) return p;
    } catch (NumberFormatException e) {
      // below
    }
    throw new ConfigException(where + ": \"" + v + "\" is not a TCP port");
  }

  private static File resolve(File base, String path) {
    File f = new File(path);
    File r = f.isAbsolute() ? f : new File(base, path);
    try {
      return r.getCanonicalFile();
    } catch (IOException e) {
      return r.getAbsoluteFile();
    }
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
