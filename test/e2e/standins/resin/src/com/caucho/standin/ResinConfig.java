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
 *     <jvm-arg> <jvm-arg-line>                   the server JVM's arguments, merged the same way
 *   <database jndi-name><driver type><url><user><password>   in the cluster or at top level
 *     <max-connections> <max-overflow-connections>
 *   <host id host-name root-directory> <host-alias> <web-app-deploy path>
 *     <access-log path rollover-*>               also from <host-default>
 *
 * Other elements and attributes are ignored, <protocol> listeners included (not bound).
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
    // ConnectionPool's defaults; -1 is an unlimited pool, as Resin reports it.
    int maxConnections = 1024;
    int maxOverflowConnections = 1024;
  }

  static final class Host {
    /** the canonical name: <host-name>, else the id ("" for a default host without one) */
    String name;
    /** the id and the <host-alias>es; "" (id="" or alias "*") makes this Resin's default host */
    List<String> aliases = new ArrayList<String>();
    File rootDirectory;
    /** null when no <web-app-deploy> applies: Resin then deploys no .war */
    File webappsDirectory;
    File accessLog;
    /** the access log's rollover settings, as parsed, for the startup log */
    String accessLogRollover = "";
  }

  File confFile;
  File rootDirectory;
  String clusterId;
  String serverId;
  String serverAddress;
  int clusterPort;
  int watchdogPort;
  /** the server JVM's arguments from <jvm-arg>/<jvm-arg-line>: empty = no separate server JVM */
  List<String> jvmArgs = new ArrayList<String>();
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
      jvmArgs(scope, scopeName, c.jvmArgs);
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

  /** Like Resin's WatchdogConfig: <jvm-arg> as it is, <jvm-arg-line> split at whitespace, in document order. */
  private static void jvmArgs(Element scope, String where, List<String> out) throws ConfigException {
    for (Node n = scope.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!isResin(n)) continue;
      String name = n.getLocalName();
      if (!name.equals("jvm-arg") && !name.equals("jvm-arg-line")) continue;
      String v = noEl(where + " <" + name + ">", n.getTextContent().trim(), false);
      if (name.equals("jvm-arg-line")) {
        for (String arg : v.split("\\s+")) if (!arg.isEmpty()) out.add(arg);
      } else if (v.isEmpty()) {
        // Resin would pass "" to java, which then takes it for the main class and fails.
        throw new ConfigException(where + ": an empty <jvm-arg>");
      } else {
        out.add(v);
      }
    }
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
    d.maxConnections = integer(value(db, "max-connections", where, false), d.maxConnections, where + " max-connections");
    // ConnectionPool.setMaxConnections: 0 is refused, a negative value means no limit.
    if (d.maxConnections == 0) throw new ConfigException(where + ": max-connections '0' must be at least 1 (or negative for no limit)");
    if (d.maxConnections < 0) d.maxConnections = -1;
    d.maxOverflowConnections = integer(value(db, "max-overflow-connections", where, false), d.maxOverflowConnections,
        where + " max-overflow-connections");
    return d;
  }

  /**
   * Resin's HostConfig and HostSingleDeployGenerator: the host answers to its canonical name
   * (<host-name>, else the id) and to its aliases, which hold the id itself; a host with neither
   * id nor host-name, id="" or <host-alias>*</host-alias> is the default host.
   */
  private static Host host(Element h, List<Element> hostDefaults, File root) throws ConfigException {
    Host host = new Host();
    String id = singleName(value(h, "id", "<host>", false), "<host id>");
    String hostName = singleName(value(h, "host-name", "<host>", false), "<host-name>");
    host.name = hostName != null ? hostName : nz(id);
    if (id != null) host.aliases.add(id);
    String where = "<host id=\"" + nz(id) + "\"" + (hostName == null ? "" : " host-name=\"" + hostName + "\"") + ">";
    for (Element a : kids(h, "host-alias")) {
      String alias = singleName(noEl(where + " <host-alias>", a.getTextContent().trim(), false), where + " <host-alias>");
      host.aliases.add(alias.equals("*") ? "" : alias);
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
        host.accessLogRollover = rollover(al, sWhere + " <access-log>");
      }
    }
    host.webappsDirectory = deploy == null ? null : resolve(host.rootDirectory, deploy);
    host.accessLog = accessLog == null ? null : resolve(host.rootDirectory, accessLog);
    return host;
  }

  /**
   * The access log's rollover settings, refused where Resin's AbstractRolloverLog setters would
   * refuse them (Period, int, Bytes); described for the startup log. Nothing is rolled.
   */
  private static String rollover(Element al, String where) throws ConfigException {
    StringBuilder b = new StringBuilder();
    String period = value(al, "rollover-period", where, false);
    if (period != null) {
      checkPeriod(period, where + " rollover-period");
      b.append(", rollover-period ").append(period);
    }
    String count = value(al, "rollover-count", where, false);
    if (count != null) b.append(", rollover-count ").append(integer(count, 0, where + " rollover-count"));
    String size = value(al, "rollover-size", where, false);
    if (size != null) {
      long bytes = bytes(size, where + " rollover-size");
      b.append(", rollover-size ").append(size).append(bytes < 0 ? " (no limit)" : " (" + bytes + " bytes)");
    }
    String cron = value(al, "rollover-cron", where, false);
    if (cron != null) b.append(", rollover-cron ").append(cron);
    String archive = value(al, "archive-format", where, false);
    if (archive != null) b.append(", archive-format ").append(archive);
    return b.toString();
  }

  /** Resin's <host> for a request's Host header: host:port, host, :port, then the default host "". */
  Host findHost(String hostHeader, int port) {
    String raw = hostHeader == null ? "" : hostHeader.trim().toLowerCase(Locale.ROOT);
    String shortHost = raw;
    int p = raw.lastIndexOf(':');
    int q = raw.lastIndexOf(']');
    if (p > 0 && q < p) shortHost = raw.substring(0, p);
    String full = shortHost + ":" + port;
    for (String name : new String[] {full, shortHost, ":" + port, ""}) {
      for (Host h : hosts) {
        if (h.name.equalsIgnoreCase(name)) return h;
        for (String a : h.aliases) if (a.equalsIgnoreCase(name)) return h;
      }
    }
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

  /** HostConfig: one name per id, host-name or host-alias. */
  private static String singleName(String v, String where) throws ConfigException {
    if (v != null && (v.indexOf(' ') >= 0 || v.indexOf('\t') >= 0 || v.indexOf(',') >= 0)) {
      throw new ConfigException(where + ": \"" + v + "\" must be a single name; write a <host-alias> for each other name");
    }
    return v;
  }

  /** An int as Resin's config converts one: Integer.valueOf, empty text being 0. */
  private static int integer(String v, int dflt, String where) throws ConfigException {
    if (v == null) return dflt;
    if (v.isEmpty()) return 0;
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new ConfigException(where + ": \"" + v + "\" is not an integer");
    }
  }

  /**
   * Resin's Bytes rules: the leading digits (an optional sign first) in the unit named by the
   * suffix, tested in this order: gb g G (GiB), mb m M (MiB), kb k K (KiB), b B (bytes). So
   * "100MB" is 100 bytes, as in Resin. No unit is refused, except for a negative value (no
   * limit), and empty text also means no limit.
   */
  static long bytes(String v, String where) throws ConfigException {
    int i = 0;
    long sign = 1;
    if (v.startsWith("-")) {
      sign = -1;
      i++;
    } else if (v.startsWith("+")) {
      i++;
    }
    if (v.length() <= i) return -1;
    long n = 0;
    for (; i < v.length() && v.charAt(i) >= '0' && v.charAt(i) <= '9'; i++) n = 10 * n + (v.charAt(i) - '0');
    n *= sign;
    if (v.endsWith("gb") || v.endsWith("g") || v.endsWith("G")) return n << 30;
    if (v.endsWith("mb") || v.endsWith("m") || v.endsWith("M")) return n << 20;
    if (v.endsWith("kb") || v.endsWith("k") || v.endsWith("K")) return n << 10;
    if (v.endsWith("b") || v.endsWith("B")) return n;
    if (n < 0) return n;
    throw new ConfigException(where + ": \"" + v + "\" needs a unit, as Resin requires for a size: "
        + "16b or 16B (bytes), 16k, 16kb or 16K, 16m, 16mb or 16M, 16g, 16gb or 16G");
  }

  /** Resin's Period rules: digits, each group followed by a unit ms s m h D W M Y, or none (seconds) at the end. */
  static void checkPeriod(String v, String where) throws ConfigException {
    int i = v.startsWith("-") ? 1 : 0;
    while (i < v.length()) {
      while (i < v.length() && v.charAt(i) >= '0' && v.charAt(i) <= '9') i++;
      if (i >= v.length()) return;
      char unit = v.charAt(i++);
      if (unit == 'm' && i < v.length() && v.charAt(i) == 's') i++;
      else if ("smhDWMY".indexOf(unit) < 0) {
        throw new ConfigException(where + ": unknown unit '" + unit + "' in \"" + v + "\" (Resin's units: ms, s, m, h, D, W, M, Y; 1D is a day)");
      }
    }
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
