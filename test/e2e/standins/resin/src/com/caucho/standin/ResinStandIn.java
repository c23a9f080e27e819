/*
 * The cocca-bake STAND-IN of Resin 4.0.66: entry point of bin/resinctl.
 *
 * Not Resin. A small server (Java 8 source, JDK classes only) that behaves like Resin where
 * cocca-bake depends on it, so the end-to-end tests can run the product's Resin build and
 * service without Resin itself:
 *
 *   - reads the rendered conf/resin.xml (namespace-aware) and picks the <server> named by
 *     -server (or the only one);
 *   - when resin.xml gives that server JVM arguments (<jvm-arg>, <jvm-arg-line>), acts as
 *     Resin's watchdog: runs the server in a child JVM with them, passes SIGTERM on and exits
 *     with the child's status; without any, the server runs in this JVM;
 *   - refuses to start a server whose address is not on a local interface (Resin's start-all
 *     rule) and binds that server's cluster port on that address;
 *   - listens on each <http> of the server ("*" = dual-stack IPv6/IPv4), with <jsse-ssl> (JKS,
 *     key password = key store password, as Resin requires) where configured;
 *   - answers GET / with a status page: the <host> it serves, whether webapps/ROOT.war is
 *     there, and whether the <database> (driver from Resin's lib/) accepts a connection.
 *
 *   resinctl start-with-foreground [-server ID] [-conf FILE] [-root-directory DIR]
 *   resinctl shutdown        (no-op: stop the foreground server with SIGTERM)
 */
package com.caucho.standin;

import java.io.File;
import java.io.IOException;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

public final class ResinStandIn {
  static final String VERSION = "4.0.66";
  static final String NAME = "Resin/" + VERSION + " (cocca stand-in)";
  /** Set (to the server id) in the server JVM that the watchdog starts, as Resin sets resin.server. */
  static final String SERVER_JVM_PROPERTY = "com.caucho.standin.server-jvm";
  /** How long the watchdog waits for the server JVM to stop on SIGTERM before it kills it. */
  private static final long STOP_WAIT_S = 60;

  private ResinStandIn() {}

  /** A startup failure: message for stderr, exit code. */
  static final class Fail extends Exception {
    private static final long serialVersionUID = 1L;
    final int code;

    Fail(int code, String message) {
      super(message);
      this.code = code;
    }
  }

  static final class Options {
    String command;
    String conf;
    String serverId;
    String rootDirectory;
    String logDirectory;
    String resinHome;
  }

  private static final String[] VALUE_OPTIONS = {
    "conf", "server", "root-directory", "log-directory", "resin-home", "data-directory",
    "cluster", "join-cluster", "stage", "watchdog-port", "debug-port", "jmx-port",
    "user-properties", "mode", "address", "port",
  };
  private static final String[] FLAG_OPTIONS = {"verbose", "preview", "elastic-server", "dynamic-server"};

  static Options parse(String[] args) throws Fail {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("-") && arg.length() > 1) {
        String name = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
        if (contains(FLAG_OPTIONS, name) || name.startsWith("J") || name.startsWith("D")) continue;
        if (!contains(VALUE_OPTIONS, name)) throw new Fail(1, "unknown option " + arg + "\n" + usage());
        if (i + 1 >= args.length) throw new Fail(1, "option " + arg + " needs a value");
        String value = args[++i];
        if (name.equals("conf")) o.conf = value;
        else if (name.equals("server")) o.serverId = value;
        else if (name.equals("root-directory")) o.rootDirectory = value;
        else if (name.equals("log-directory")) o.logDirectory = value;
        else if (name.equals("resin-home")) o.resinHome = value;
        // the others are accepted and ignored
      } else if (o.command == null) {
        o.command = arg;
      } else {
        throw new Fail(1, "unexpected argument " + arg + " after the command " + o.command);
      }
    }
    return o;
  }

  private static boolean contains(String[] names, String name) {
    for (String n : names) if (n.equals(name)) return true;
    return false;
  }

  static String usage() {
    return "usage: resinctl start-with-foreground [-server ID] [-conf FILE] [-root-directory DIR]\n"
        + "       resinctl shutdown\n"
        + "       resinctl version\n"
        + "(" + NAME + ": the other resinctl commands are not supported)";
  }

  public static void main(String[] args) {
    try {
      System.exit(run(args));
    } catch (Fail f) {
      System.out.flush();
      System.err.println("resinctl: " + f.getMessage());
      System.err.flush();
      System.exit(f.code);
    } catch (Throwable t) {
      System.out.flush();
      System.err.println("resinctl: unexpected failure: " + t);
      t.printStackTrace();
      System.exit(1);
    }
  }

  /** The exit status; the server itself never returns (SIGTERM ends the JVM). */
  static int run(String[] args) throws Exception {
    Options o = parse(args);
    if (o.command == null) throw new Fail(1, "no command given\n" + usage());
    String cmd = o.command;
    if (cmd.equals("help")) {
      System.out.println(usage());
      return 0;
    }
    if (cmd.equals("version")) {
      System.out.println(NAME);
      return 0;
    }
    if (cmd.equals("shutdown") || cmd.equals("stop")) {
      // A no-op: the foreground server stops on SIGTERM (systemd's stop).
      System.out.println(NAME + ": '" + cmd + "' does nothing in the stand-in; stop the foreground server with SIGTERM");
      return 0;
    }
    if (!cmd.equals("start-with-foreground")) {
      throw new Fail(1, "the command '" + cmd + "' is not supported by the " + NAME + " (only start-with-foreground, shutdown, version)");
    }

    File home = new File(o.resinHome != null ? o.resinHome : System.getProperty("user.dir")).getAbsoluteFile();
    File root = o.rootDirectory != null ? new File(o.rootDirectory).getAbsoluteFile() : home;
    File logDir = o.logDirectory != null ? new File(o.logDirectory).getAbsoluteFile() : new File(root, "log");
    File conf = o.conf != null ? new File(o.conf).getAbsoluteFile() : new File(home, "conf/resin.xml");

    boolean serverJvm = System.getProperty(SERVER_JVM_PROPERTY) != null;
    log(NAME + (serverJvm ? " server JVM starting (started by the watchdog)" : " starting (start-with-foreground)"));
    log("resin.home = " + home);
    log("resin.root = " + root);
    log("resin.conf = " + conf);
    log("java.version = " + System.getProperty("java.version") + " (" + System.getProperty("java.home") + ")");

    ResinConfig config;
    try {
      config = ResinConfig.load(conf, root, o.serverId);
    } catch (ResinConfig.ConfigException e) {
      throw new Fail(1, conf + ": " + e.getMessage());
    }
    if (!config.jvmArgs.isEmpty() && !serverJvm) return watchdog(config, args);
    StandInServer server = new StandInServer(config, home, logDir);
    server.start(); // throws Fail
    server.awaitShutdown();
    return 0;
  }

  /**
   * Resin's watchdog, reduced to what systemd sees: the server runs in a child JVM (this java,
   * this classpath) whose command line starts with resin.xml's JVM arguments, as WatchdogChild
   * builds it; SIGTERM here is passed on to it, and this JVM exits with its status (143 after
   * a SIGTERM). Unlike Resin's, it does not restart a server that dies.
   */
  private static int watchdog(ResinConfig config, String[] args) throws Fail {
    List<String> cmd = new ArrayList<String>();
    cmd.add(new File(System.getProperty("java.home"), "bin/java").getPath());
    cmd.addAll(config.jvmArgs);
    cmd.add("-D" + SERVER_JVM_PROPERTY + "=" + config.serverId);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ResinStandIn.class.getName());
    cmd.addAll(Arrays.asList(args));
    log("watchdog: starting server '" + config.serverId + "' in a separate JVM: " + cmd);
    final Process child;
    try {
      child = new ProcessBuilder(cmd).inheritIO().start();
    } catch (IOException e) {
      throw new Fail(2, "watchdog: cannot start the server JVM " + cmd.get(0) + ": " + e.getMessage());
    }
    // Without this hook a SIGTERM would end this JVM alone and leave the server running.
    Runtime.getRuntime().addShutdownHook(new Thread("watchdog-shutdown") {
      @Override
      public void run() {
        child.destroy(); // SIGTERM
        try {
          if (!child.waitFor(STOP_WAIT_S, TimeUnit.SECONDS)) {
            log("watchdog: the server JVM did not stop in " + STOP_WAIT_S + " s; killing it");
            child.destroyForcibly().waitFor();
          }
        } catch (InterruptedException e) {
          child.destroyForcibly();
        }
      }
    });
    for (;;) {
      try {
        int status = child.waitFor();
        log("watchdog: the server JVM exited with status " + status);
        return status;
      } catch (InterruptedException e) {
        // keep waiting: only the child's end ends the watchdog
      }
    }
  }

  private static final Object LOG_LOCK = new Object();

  static void log(String message) {
    String stamp = new SimpleDateFormat("yy-MM-dd HH:mm:ss.SSS").format(new Date());
    synchronized (LOG_LOCK) {
      System.out.println("[" + stamp + "] " + message);
      System.out.flush();
    }
  }
}
