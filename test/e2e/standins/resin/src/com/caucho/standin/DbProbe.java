/*
 * The database check of the cocca-bake Resin stand-in: load resin.xml's <database> driver class
 * (the JDBC jar cocca-bake puts in Resin's lib/ is on the classpath), connect with its url, user
 * and password, and ask for current_database(). The answer is cached for 5 seconds.
 *
 *   "ok <current_database()>"  or  "error <message>"  or  "none (...)"
 *
 * The password never appears in an answer: it is cut out of every message.
 */
package com.caucho.standin;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class DbProbe {
  private static final long TTL_MS = 5000;
  private static final int TIMEOUT_S = 5;

  private final ResinConfig.Database db;
  private final String libDir;
  private String cached;
  private long cachedAt;

  DbProbe(ResinConfig.Database db, String libDir) {
    this.db = db;
    this.libDir = libDir;
  }

  synchronized String status() {
    long now = System.currentTimeMillis();
    if (cached == null || now - cachedAt >= TTL_MS) {
      cached = probe();
      cachedAt = System.currentTimeMillis();
    }
    return cached;
  }

  private String probe() {
    if (db == null) return "none (resin.xml has no <database>)";
    try {
      Class<?> cls;
      try {
        cls = Class.forName(db.driverType, true, DbProbe.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        return "error JDBC driver class " + db.driverType + " not found (no driver jar in " + libDir + ")";
      }
      if (!Driver.class.isAssignableFrom(cls)) return "error " + db.driverType + " is not a java.sql.Driver";
      Driver driver = (Driver) cls.getDeclaredConstructor().newInstance();
      Properties p = new Properties();
      if (db.user != null) p.setProperty("user", db.user);
      if (db.password != null) p.setProperty("password", db.password);
      // PostgreSQL JDBC property names, in seconds; other drivers ignore them.
      p.setProperty("connectTimeout", String.valueOf(TIMEOUT_S));
      p.setProperty("loginTimeout", String.valueOf(TIMEOUT_S));
      p.setProperty("socketTimeout", String.valueOf(2 * TIMEOUT_S));
      Connection c = driver.connect(db.url, p);
      if (c == null) return redact("error the driver " + db.driverType + " does not accept the url " + db.url);
      try {
        Statement st = c.createStatement();
        try {
          ResultSet rs = st.executeQuery("select current_database()");
          try {
            if (!rs.next()) return "error select current_database() returned no row";
            return redact("ok " + rs.getString(1));
          } finally {
            rs.close();
          }
        } finally {
          st.close();
        }
      } finally {
        c.close();
      }
    } catch (Throwable t) {
      return redact("error " + describe(t));
    }
  }

  private static String describe(Throwable t) {
    StringBuilder b = new StringBuilder();
    String m = t.getMessage();
    b.append(m == null || m.trim().isEmpty() ? t.getClass().getName() : m);
    if (t instanceof SQLException && ((SQLException) t).getSQLState() != null) {
      b.append(" [SQLState ").append(((SQLException) t).getSQLState()).append(']');
    }
    return b.toString();
  }

  /** One line, without the password. */
  String redact(String s) {
    String out = s.replaceAll("\\s+", " ").trim();
    String pw = db == null ? null : db.password;
    if (pw == null || pw.isEmpty()) return out;
    if (pw.length() >= 4) return out.replace(pw, "********");
    // A short password is cut out where it stands alone, so as not to maim every word.
    Pattern whole = Pattern.compile("(?<![A-Za-z0-9])" + Pattern.quote(pw) + "(?![A-Za-z0-9])");
    return whole.matcher(out).replaceAll(Matcher.quoteReplacement("********"));
  }
}
