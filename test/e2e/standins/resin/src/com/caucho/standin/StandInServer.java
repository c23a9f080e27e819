/*
 * The running server of the cocca-bake Resin stand-in (see ResinStandIn).
 *
 * Startup, in order, failing with a clear message at the first problem:
 *   1. resin.xml's <system-property>s are set (JSSE settings);
 *   2. every <jsse-ssl> key store is loaded (JKS; the key password is the store password);
 *   3. the server's address must be on a local interface (Resin's start-all rule);
 *   4. resin-data/<server> and watchdog-data/<server> under the root directory must be writable;
 *   5. the cluster port is bound on the server's address, the watchdog port on 127.0.0.1;
 *   6. each <http> listens: "*" = new InetSocketAddress(port), the dual-stack IPv6 wildcard.
 * SIGTERM runs a shutdown hook that closes everything.
 */
package com.caucho.standin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.Charset;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

final class StandInServer {
  private static final Charset UTF8 = Charset.forName("UTF-8");
  private static final Pattern WAR_ROLE = Pattern.compile("cocca stand-in war: ([A-Za-z0-9_.-]+)");

  private final ResinConfig cfg;
  private final File home;
  private final File logDir;
  private final DbProbe db;
  private final List<HttpServer> servers = new ArrayList<HttpServer>();
  private final List<ServerSocket> sockets = new ArrayList<ServerSocket>();
  private final CountDownLatch forever = new CountDownLatch(1);
  private ExecutorService executor;
  private PrintWriter accessLog;

  StandInServer(ResinConfig cfg, File home, File logDir) {
    this.cfg = cfg;
    this.home = home;
    this.logDir = logDir;
    this.db = new DbProbe(cfg.database, new File(home, "lib").getPath());
  }

  void start() throws ResinStandIn.Fail {
    long t0 = System.currentTimeMillis();
    String server = "server '" + cfg.serverId + "'";
    ResinStandIn.log("starting " + server + " of cluster '" + cfg.clusterId + "' (address " + cfg.serverAddress + ", port "
        + cfg.clusterPort + ")");

    for (Map.Entry<String, String> e : cfg.systemProperties.entrySet()) System.setProperty(e.getKey(), e.getValue());

    // 2. key stores, before anything is bound
    List<SSLContext> contexts = new ArrayList<SSLContext>();
    for (ResinConfig.Listener l : cfg.listeners) contexts.add(l.ssl == null ? null : sslContext(l));

    // 3. Resin's rule: only a server whose address is local starts.
    InetAddress address;
    try {
      address = InetAddress.getByName(cfg.serverAddress);
    } catch (IOException e) {
      throw new ResinStandIn.Fail(2, "cannot start " + server + ": its address " + cfg.serverAddress + " does not resolve (" + e.getMessage() + ")");
    }
    if (!isLocal(address)) {
      throw new ResinStandIn.Fail(2, ResinStandIn.NAME + " cannot start " + server + ": its address " + cfg.serverAddress
          + " is not an address of a local network interface (local: " + localAddresses()
          + "). Resin starts only the <server>s whose address is local (resinctl start-all starts none and exits 0).");
    }

    // 4. Resin keeps its state under the root directory; the user it runs as must be able to write there.
    writable(new File(cfg.rootDirectory, "resin-data/" + cfg.serverId));
    writable(new File(cfg.rootDirectory, "watchdog-data/" + cfg.serverId));

    // 5. the cluster port on the server's address, the watchdog port on loopback
    sockets.add(bind(new InetSocketAddress(address, cfg.clusterPort), "the cluster port of " + server));
    sockets.add(bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), cfg.watchdogPort), "the watchdog port"));
    ResinStandIn.log("cluster port listening on " + cfg.serverAddress + ":" + cfg.clusterPort + ", watchdog port on 127.0.0.1:" + cfg.watchdogPort);

    openAccessLog();
    ResinStandIn.log("db: " + db.status() + describeDb());
    for (ResinConfig.Host h : cfg.hosts) {
      ResinStandIn.log("host '" + h.name + "' (aliases " + h.aliases + ") root " + h.rootDirectory + ", webapps "
          + (h.webappsDirectory == null ? "(no <web-app-deploy>)" : h.webappsDirectory));
    }

    // 6. listeners
    executor = Executors.newFixedThreadPool(16, new ThreadFactory() {
      private final AtomicInteger n = new AtomicInteger();

      public Thread newThread(Runnable r) {
        Thread t = new Thread(r, "http-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      }
    });
    for (int i = 0; i < cfg.listeners.size(); i++) {
      ResinConfig.Listener l = cfg.listeners.get(i);
      InetSocketAddress at;
      if (l.address.equals("*")) {
        at = new InetSocketAddress(l.port); // the IPv6 wildcard, IPv4-mapped too (dual stack)
      } else {
        try {
          at = new InetSocketAddress(InetAddress.getByName(l.address), l.port);
        } catch (IOException e) {
          throw fail(2, l.where + ": <http address=\"" + l.address + "\"> does not resolve: " + e.getMessage());
        }
      }
      HttpServer s;
      try {
        if (l.ssl == null) {
          s = HttpServer.create(at, 64);
        } else {
          HttpsServer hs = HttpsServer.create(at, 64);
          final String[] protocols = l.ssl.protocols;
          hs.setHttpsConfigurator(new HttpsConfigurator(contexts.get(i)) {
            @Override
            public void configure(HttpsParameters params) {
              SSLParameters p = getSSLContext().getDefaultSSLParameters();
              if (protocols != null) p.setProtocols(protocols);
              params.setSSLParameters(p);
            }
          });
          s = hs;
        }
      } catch (IOException e) {
        throw fail(2, "cannot listen on " + l.address + ":" + l.port + " (" + l.where + " <http>): " + e);
      }
      s.setExecutor(executor);
      s.createContext("/", new Handler(l));
      s.start();
      servers.add(s);
      ResinStandIn.log(l.scheme() + " listening on " + l.address + ":" + l.port + (l.address.equals("*") ? " (IPv4 and IPv6)" : ""));
    }

    Runtime.getRuntime().addShutdownHook(new Thread("shutdown") {
      @Override
      public void run() {
        ResinStandIn.log("shutdown: stopping " + ResinStandIn.NAME + " server '" + cfg.serverId + "'");
        close();
        ResinStandIn.log("shutdown: stopped");
      }
    });
    ResinStandIn.log(ResinStandIn.NAME + " started " + server + " in " + (System.currentTimeMillis() - t0) + " ms");
  }

  void awaitShutdown() throws InterruptedException {
    forever.await();
  }

  private ResinStandIn.Fail fail(int code, String message) {
    close();
    return new ResinStandIn.Fail(code, message);
  }

  private synchronized void close() {
    for (HttpServer s : servers) s.stop(0);
    servers.clear();
    for (ServerSocket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    sockets.clear();
    if (executor != null) executor.shutdownNow();
    if (accessLog != null) accessLog.close();
    accessLog = null;
  }

  // ---------------------------------------------------------------------------------------------
  // startup checks

  private static boolean isLocal(InetAddress a) {
    if (a.isAnyLocalAddress()) return false;
    try {
      return NetworkInterface.getByInetAddress(a) != null;
    } catch (SocketException e) {
      return false;
    }
  }

  private static String localAddresses() {
    List<String> out = new ArrayList<String>();
    try {
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
          String s = a.getHostAddress();
          int pct = s.indexOf('%');
          out.add(pct >= 0 ? s.substring(0, pct) : s);
        }
      }
    } catch (SocketException e) {
      out.add("(cannot list: " + e.getMessage() + ")");
    }
    return out.toString();
  }

  private void writable(File dir) throws ResinStandIn.Fail {
    if (!dir.isDirectory() && !dir.mkdirs()) {
      throw new ResinStandIn.Fail(2, "cannot create " + dir + ": Resin writes its data under its root directory (" + cfg.rootDirectory
          + "): resin-data and watchdog-data must be writable by the user it runs as (" + System.getProperty("user.name") + ")");
    }
    File probe = new File(dir, "stand-in.txt");
    try {
      OutputStream out = new FileOutputStream(probe);
      try {
        out.write(("server " + cfg.serverId + " started " + new Date() + "\n").getBytes(UTF8));
      } finally {
        out.close();
      }
    } catch (IOException e) {
      throw new ResinStandIn.Fail(2, "cannot write in " + dir + " (" + e.getMessage() + "): resin-data and watchdog-data under " + cfg.rootDirectory
          + " must be writable by the user Resin runs as (" + System.getProperty("user.name") + ")");
    }
  }

  private ServerSocket bind(InetSocketAddress at, String what) throws ResinStandIn.Fail {
    ServerSocket s = null;
    try {
      s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(at, 16);
      return s;
    } catch (IOException e) {
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // failing anyway
        }
      }
      throw fail(2, "cannot bind " + what + " on " + at.getAddress().getHostAddress() + ":" + at.getPort() + ": " + e.getMessage());
    }
  }

  private SSLContext sslContext(ResinConfig.Listener l) throws ResinStandIn.Fail {
    ResinConfig.Ssl ssl = l.ssl;
    String where = l.where + " <http port=\"" + l.port + "\"> <jsse-ssl>";
    char[] pw = ssl.password.toCharArray();
    KeyStore ks;
    try {
      ks = KeyStore.getInstance(ssl.keyStoreType);
    } catch (Exception e) {
      throw new ResinStandIn.Fail(2, where + ": unknown key-store-type " + ssl.keyStoreType);
    }
    try {
      InputStream in = new FileInputStream(ssl.keyStoreFile);
      try {
        ks.load(in, pw);
      } finally {
        in.close();
      }
    } catch (java.io.FileNotFoundException e) {
      throw new ResinStandIn.Fail(2, where + ": cannot read key-store-file " + ssl.keyStoreFile + " (" + e.getMessage() + ")");
    } catch (Exception e) {
      throw new ResinStandIn.Fail(2, where + ": cannot load " + ssl.keyStoreFile + " as a " + ssl.keyStoreType + " key store (wrong password or type?): " + e.getMessage());
    }
    String alias = null;
    try {
      if (ssl.alias != null && !ssl.alias.isEmpty()) {
        if (!ks.isKeyEntry(ssl.alias)) throw new ResinStandIn.Fail(2, where + ": " + ssl.keyStoreFile + " has no key entry '" + ssl.alias + "'");
        alias = ssl.alias;
      } else {
        for (String a : Collections.list(ks.aliases())) {
          if (ks.isKeyEntry(a)) {
            alias = a;
            break;
          }
        }
        if (alias == null) throw new ResinStandIn.Fail(2, where + ": " + ssl.keyStoreFile + " holds no private key entry");
      }
      // Resin: "the key password and the keystore password must be the same".
      try {
        if (!(ks.getKey(alias, pw) instanceof PrivateKey)) throw new ResinStandIn.Fail(2, where + ": entry '" + alias + "' is not a private key");
      } catch (UnrecoverableKeyException e) {
        throw new ResinStandIn.Fail(2, where + ": the key '" + alias + "' has another password than the key store (Resin needs them equal)");
      }
      Certificate cert = ks.getCertificate(alias);
      String subject = cert instanceof X509Certificate ? ((X509Certificate) cert).getSubjectX500Principal().getName() : String.valueOf(cert);
      ResinStandIn.log("jsse-ssl on port " + l.port + ": " + ssl.keyStoreFile + " (" + ssl.keyStoreType + "), key '" + alias + "', " + subject);

      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      KeyManager[] kms = kmf.getKeyManagers();
      if (ssl.alias != null && !ssl.alias.isEmpty()) {
        for (int i = 0; i < kms.length; i++) {
          if (kms[i] instanceof X509KeyManager) kms[i] = new AliasKeyManager((X509KeyManager) kms[i], alias);
        }
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kms, null, null);
      return ctx;
    } catch (ResinStandIn.Fail f) {
      throw f;
    } catch (Exception e) {
      throw new ResinStandIn.Fail(2, where + ": cannot use " + ssl.keyStoreFile + ": " + e);
    }
  }

  /** Serves the <jsse-ssl alias> key only. */
  private static final class AliasKeyManager extends X509ExtendedKeyManager {
    private final X509KeyManager km;
    private final String alias;

    AliasKeyManager(X509KeyManager km, String alias) {
      this.km = km;
      this.alias = alias;
    }

    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return km.getClientAliases(keyType, issuers);
    }

    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return km.chooseClientAlias(keyType, issuers, socket);
    }

    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return new String[] {alias};
    }

    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return alias;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return alias;
    }

    public X509Certificate[] getCertificateChain(String a) {
      return km.getCertificateChain(a);
    }

    public PrivateKey getPrivateKey(String a) {
      return km.getPrivateKey(a);
    }
  }

  private String describeDb() {
    ResinConfig.Database d = cfg.database;
    if (d == null) return "";
    return " (jndi " + d.jndiName + ", driver " + d.driverType + ", url " + db.redact(d.url) + ", user " + d.user + ", max-connections "
        + d.maxConnections + ", max-overflow-connections " + d.maxOverflowConnections + ")";
  }

  private void openAccessLog() {
    File path = null;
    String rollover = "";
    for (ResinConfig.Host h : cfg.hosts) {
      if (h.accessLog == null) continue;
      path = h.accessLog;
      rollover = h.accessLogRollover;
    }
    if (path == null) return;
    try {
      File parent = path.getParentFile();
      if (parent != null && !parent.isDirectory()) parent.mkdirs();
      accessLog = new PrintWriter(new OutputStreamWriter(new FileOutputStream(path, true), UTF8), true);
      ResinStandIn.log("access log " + path + rollover + " (the stand-in does not roll it)");
    } catch (IOException e) {
      ResinStandIn.log("WARNING: cannot open the access log " + path + ": " + e.getMessage());
    }
  }

  private void access(HttpExchange ex, int status, long length) {
    PrintWriter w;
    synchronized (this) {
      w = accessLog;
      if (w == null) return;
      String ua = ex.getRequestHeaders().getFirst("User-Agent");
      String when = new SimpleDateFormat("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).format(new Date());
      w.println(ex.getRemoteAddress().getAddress().getHostAddress() + " - - [" + when + "] \"" + ex.getRequestMethod() + " "
          + ex.getRequestURI() + " " + ex.getProtocol() + "\" " + status + " " + length + " \"-\" \"" + (ua == null ? "-" : ua) + "\"");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // requests

  private final class Handler implements HttpHandler {
    private final ResinConfig.Listener listener;

    Handler(ResinConfig.Listener listener) {
      this.listener = listener;
    }

    public void handle(HttpExchange ex) throws IOException {
      int status = 500;
      long length = 0;
      try {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        String hostHeader = ex.getRequestHeaders().getFirst("Host");
        ResinConfig.Host host = cfg.findHost(hostHeader, listener.port);
        byte[] body;
        String type = "text/plain; charset=utf-8";
        if (host == null) {
          // Resin answers 404 when no <host> matches the request's Host and there is no default host (id="").
          status = 404;
          body = ("404 Not Found: no <host> of resin.xml matches Host: " + hostHeader + "\n").getBytes(UTF8);
        } else if (!method.equals("GET") && !method.equals("HEAD")) {
          status = 405;
          ex.getResponseHeaders().set("Allow", "GET, HEAD");
          body = "405 Method Not Allowed\n".getBytes(UTF8);
        } else if (path == null || path.equals("/")) {
          status = 200;
          body = page(host).getBytes(UTF8);
        } else {
          Object[] entry = warEntry(host, path);
          if (entry == null) {
            status = 404;
            body = ("404 Not Found: " + path + "\n").getBytes(UTF8);
          } else {
            status = 200;
            body = (byte[]) entry[0];
            type = (String) entry[1];
          }
        }
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Server", ResinStandIn.NAME);
        if (method.equals("HEAD")) {
          ex.sendResponseHeaders(status, -1);
        } else {
          ex.sendResponseHeaders(status, body.length);
          OutputStream out = ex.getResponseBody();
          out.write(body);
          out.close();
          length = body.length;
        }
      } catch (Throwable t) {
        ResinStandIn.log("ERROR handling " + ex.getRequestURI() + ": " + t);
        try {
          ex.sendResponseHeaders(500, -1);
        } catch (IOException ignored) {
          // headers were sent already
        }
      } finally {
        access(ex, status, length);
        ex.close();
      }
    }

    private String page(ResinConfig.Host host) {
      StringBuilder b = new StringBuilder();
      b.append("cocca stand-in resin\n");
      b.append("resin: ").append(ResinStandIn.NAME).append('\n');
      b.append("server: ").append(cfg.serverId).append(" (cluster ").append(cfg.clusterId).append(", ").append(cfg.serverAddress).append(':')
          .append(cfg.clusterPort).append(")\n");
      b.append("listener: ").append(listener.scheme()).append(' ').append(listener.address).append(':').append(listener.port).append('\n');
      b.append("host: ").append(host.name.isEmpty() ? "(the default host, id=\"\")" : host.name).append('\n');
      File war = host.webappsDirectory == null ? null : new File(host.webappsDirectory, "ROOT.war");
      if (war == null) {
        b.append("war: not deployed (no <web-app-deploy> for this host)\n");
      } else if (!war.isFile()) {
        b.append("war: missing ").append(war).append('\n');
      } else if (!war.canRead()) {
        b.append("war: not readable ").append(war).append(" (by user ").append(System.getProperty("user.name")).append(")\n");
      } else {
        b.append("war: present ").append(war.length()).append(" bytes ").append(war).append('\n');
        b.append("app: ").append(warRole(war)).append('\n');
      }
      b.append("db: ").append(db.status()).append('\n');
      ResinConfig.Database d = cfg.database;
      if (d == null) {
        b.append("db-pool: none (resin.xml has no <database>)\n");
      } else {
        b.append("db-pool: max-connections=").append(d.maxConnections).append(" max-overflow-connections=").append(d.maxOverflowConnections).append('\n');
      }
      b.append("jvm-max-heap-mb: ").append(Runtime.getRuntime().maxMemory() / (1024 * 1024)).append('\n');
      b.append("jvm-args: ").append(cfg.jvmArgs.isEmpty() ? "(none)" : join(cfg.jvmArgs)).append('\n');
      return b.toString();
    }
  }

  private static String join(List<String> words) {
    StringBuilder b = new StringBuilder();
    for (String w : words) b.append(b.length() == 0 ? "" : " ").append(w);
    return b.toString();
  }

  private static String warRole(File war) {
    try {
      ZipFile z = new ZipFile(war);
      try {
        ZipEntry e = z.getEntry("index.html");
        if (e == null) return "unknown (no index.html in ROOT.war)";
        Matcher m = WAR_ROLE.matcher(new String(read(z.getInputStream(e), 65536), UTF8));
        return m.find() ? m.group(1) : "unknown (index.html names no role)";
      } finally {
        z.close();
      }
    } catch (IOException e) {
      return "unknown (ROOT.war is not a readable zip: " + e.getMessage() + ")";
    }
  }

  /** A static file of ROOT.war as {bytes, content type}, or null. WEB-INF and META-INF are not served. */
  private static Object[] warEntry(ResinConfig.Host host, String path) {
    if (host.webappsDirectory == null) return null;
    File war = new File(host.webappsDirectory, "ROOT.war");
    if (!war.isFile()) return null;
    String name = path.startsWith("/") ? path.substring(1) : path;
    if (name.endsWith("/")) name = name + "index.html";
    String upper = name.toUpperCase(Locale.ROOT);
    if (name.isEmpty() || upper.startsWith("WEB-INF") || upper.startsWith("META-INF") || name.contains("..")) return null;
    try {
      ZipFile z = new ZipFile(war);
      try {
        ZipEntry e = z.getEntry(name);
        if (e == null || e.isDirectory()) return null;
        return new Object[] {read(z.getInputStream(e), 16 * 1024 * 1024), contentType(name)};
      } finally {
        z.close();
      }
    } catch (IOException e) {
      return null;
    }
  }

  private static String contentType(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".html") || n.endsWith(".htm")) return "text/html; charset=utf-8";
    if (n.endsWith(".txt")) return "text/plain; charset=utf-8";
    if (n.endsWith(".css")) return "text/css";
    if (n.endsWith(".js")) return "application/javascript";
    if (n.endsWith(".json")) return "application/json";
    if (n.endsWith(".png")) return "image/png";
    return "application/octet-stream";
  }

  private static byte[] read(InputStream in, int max) throws IOException {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        if (out.size() > max) throw new IOException("entry larger than " + max + " bytes");
      }
      return out.toByteArray();
    } finally {
      in.close();
    }
  }
}
