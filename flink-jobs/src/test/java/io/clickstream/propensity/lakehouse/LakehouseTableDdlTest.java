package io.clickstream.propensity.lakehouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.iceberg.Table;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** sql/tables.sql mirrors the tables declared in code, and it is valid Flink SQL. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LakehouseTableDdlTest {
  static final Path TABLES_SQL = repoFile("sql/tables.sql");

  static Path repoFile(String name) {
    Path p = Path.of("..").resolve(name);
    return Files.exists(p) ? p : Path.of(name);
  }

  @Test
  void committedDdlEqualsTheDeclarationInCode() throws Exception {
    if (Boolean.getBoolean("regenerate.ddl")) {
      Files.writeString(TABLES_SQL, LakehouseTable.allDdl(), StandardCharsets.UTF_8);
    }
    assertThat(Files.readString(TABLES_SQL, StandardCharsets.UTF_8))
        .as("sql/tables.sql is stale: run mvn test -Dtest=LakehouseTableDdlTest -Dregenerate.ddl=true")
        .isEqualTo(LakehouseTable.allDdl());
  }

  @Test
  void ddlCreatesTablesWithTheDeclaredColumnsAndKeys(@TempDir Path tmp) throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.toString());
    TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inBatchMode());
    tEnv.executeSql(lakehouse.createCatalogSql());
    tEnv.useCatalog(Lakehouse.CATALOG_NAME);
    for (String statement : LakehouseTable.allDdl().split(";\n")) {
      String sql = statement.replaceAll("(?m)^--.*$", "").trim();
      if (!sql.isEmpty()) {
        tEnv.executeSql(sql).await();
      }
    }
    for (LakehouseTable t : LakehouseTable.values()) {
      Table created = lakehouse.load(t);
      assertThat(created.schema().columns()).hasSameSizeAs(t.schema().columns());
      for (Types.NestedField expected : t.schema().columns()) {
        Types.NestedField actual = created.schema().findField(expected.name());
        assertThat(actual).as(t.qualifiedName() + "." + expected.name()).isNotNull();
        assertThat(actual.type()).isEqualTo(expected.type());
        assertThat(actual.isOptional()).isEqualTo(expected.isOptional());
      }
      assertThat(created.schema().identifierFieldNames())
          .containsExactlyInAnyOrderElementsOf(t.keyColumns());
      // format-version is table metadata, not a stored property
      assertThat(org.apache.iceberg.TableUtil.formatVersion(created)).isEqualTo(2);
      t.properties().forEach((k, v) -> {
        if (!k.equals(org.apache.iceberg.TableProperties.FORMAT_VERSION)) {
          assertThat(created.properties()).containsEntry(k, v);
        }
      });
    }
  }
}
