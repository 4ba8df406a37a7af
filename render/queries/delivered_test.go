package queries_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
	"github.com/flowplan/flowplan/render/queries"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// These tests check the generated tables against files the sandbox's
// emulator delivers, independently of how the tables were made: the
// emulator writes records from AWS's documentation of the file layout and
// has no knowledge of flowplan's spec or type table.

var ctx = context.Background()

// ddl is what a test reads back out of a CREATE EXTERNAL TABLE statement.
type ddl struct {
	columns    []column
	delimiter  string
	nullAs     string
	skipHeader int
	parquet    bool
}

type column struct{ name, typ string }

var (
	createRe = regexp.MustCompile(`(?s)CREATE EXTERNAL TABLE IF NOT EXISTS \S+ \(\n(.*?)\n\)\nPARTITIONED BY`)
	delimRe  = regexp.MustCompile(`FIELDS TERMINATED BY '(.)'`)
	nullRe   = regexp.MustCompile(`NULL DEFINED AS '(.)'`)
	skipRe   = regexp.MustCompile(`'skip\.header\.line\.count' = '(\d+)'`)
)

// deliveredRule is an S3 rule of a spec with its table and a file the
// emulator delivered for a flow log configured as the rule says.
type deliveredRule struct {
	spec, rule string
	table      ddl
	key        string
	body       []byte
}

var deliveredOnce struct {
	sync.Once
	rules []deliveredRule
	err   error
}

// delivered returns a delivered file for every VPC-family S3 rule of the
// example and test specs, made once for all tests. Transit gateway rules
// are left out: the emulator delivers nothing for transit gateways.
func delivered(t *testing.T) []deliveredRule {
	t.Helper()
	deliveredOnce.Do(func() { deliveredOnce.rules, deliveredOnce.err = deliverAll() })
	if deliveredOnce.err != nil {
		t.Fatal(deliveredOnce.err)
	}
	return deliveredOnce.rules
}

func deliverAll() ([]deliveredRule, error) {
	examples, _ := filepath.Glob("../../examples/*.yaml")
	extra, _ := filepath.Glob("testdata/*.yaml")
	var out []deliveredRule
	for _, file := range append(examples, extra...) {
		s, err := spec.Load(file)
		if err != nil {
			return nil, err
		}
		for i := range s.Rules {
			r := &s.Rules[i]
			if r.Destination.S3 == nil || r.Family() != logformat.TargetVPC {
				continue
			}
			text, err := queries.Athena(s, queries.Options{Rule: r.Name})
			if err != nil {
				return nil, fmt.Errorf("%s rule %s: %w", file, r.Name, err)
			}
			d := deliveredRule{spec: s.Name, rule: r.Name}
			if d.key, d.body, err = deliver(r); err != nil {
				return nil, fmt.Errorf("%s rule %s: %w", file, r.Name, err)
			}
			d.table = parseDDL(text)
			out = append(out, d)
		}
	}
	return out, nil
}

// parseDDL reads the table of a rule's flowplan athena output back: its
// column list, delimiter, NULL mark, header line count and storage.
func parseDDL(out string) ddl {
	var d ddl
	if m := createRe.FindStringSubmatch(out); m != nil {
		for _, line := range strings.Split(m[1], "\n") {
			name, typ, _ := strings.Cut(strings.TrimSuffix(strings.TrimSpace(line), ","), " ")
			d.columns = append(d.columns, column{strings.Trim(name, "`"), typ})
		}
	}
	d.parquet = strings.Contains(out, "\nSTORED AS PARQUET\n")
	if m := delimRe.FindStringSubmatch(out); m != nil {
		d.delimiter = m[1]
	}
	if m := nullRe.FindStringSubmatch(out); m != nil {
		d.nullAs = m[1]
	}
	if m := skipRe.FindStringSubmatch(out); m != nil {
		d.skipHeader, _ = strconv.Atoi(m[1])
	}
	return d
}

// deliveryWorld is one account with the rule's bucket (which it owns, so
// that CreateFlowLogs attaches the delivery policy) and a VPC with three
// busy interfaces, tagged for the tag fields.
const deliveryWorld = `
seed: 15
credentials: [{access_key_id: AKIAQUERIESTEST00001, secret_access_key: queries, account: "111111111111", sandbox: true}]
accounts:
  - id: "111111111111"
    buckets: [{name: %s}]
    regions:
      us-east-1:
        vpcs:
          - name: busy
            cidr: 10.20.0.0/16
            subnets:
              - {cidr: 10.20.1.0/24, az: us-east-1a, enis: [{tags: {app: payments}}, {tags: {app: web}}, {}]}
`

// deliver creates a flow log as rule r says on the world's VPC, steps the
// clock over one 5-minute window, and returns the first file delivered.
func deliver(r *spec.Rule) (string, []byte, error) {
	d := r.Destination.S3
	bucket := strings.TrimPrefix(d.BucketARN, "arn:aws:s3:::")
	clock := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	emu := awsemu.New(awsemu.Options{Clock: func() time.Time { return clock }})
	if err := emu.LoadWorld(strings.NewReader(fmt.Sprintf(deliveryWorld, bucket))); err != nil {
		return "", nil, err
	}
	srv := httptest.NewServer(emu.Handler())
	defer srv.Close()
	es := &emutest.Server{Emu: emu, URL: srv.URL}
	cfg := es.ConfigWith("us-east-1", "AKIAQUERIESTEST00001", "queries", "")
	client := ec2.NewFromConfig(cfg)
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		return "", nil, err
	}
	in := &ec2.CreateFlowLogsInput{ResourceIds: []string{aws.ToString(vpcs.Vpcs[0].VpcId)}, ResourceType: types.FlowLogsResourceTypeVpc,
		TrafficType: types.TrafficType(r.TrafficType), LogDestinationType: types.LogDestinationTypeS3,
		LogDestination: aws.String(d.BucketARN + "/" + d.Prefix), LogFormat: aws.String(r.LogFormat),
		MaxAggregationInterval: aws.Int32(int32(r.MaxAggregationInterval)),
		DestinationOptions: &types.DestinationOptionsRequest{FileFormat: types.DestinationFileFormat(d.FileFormat),
			HiveCompatiblePartitions: aws.Bool(d.HiveCompatiblePartitions), PerHourPartition: aws.Bool(d.PerHourPartition)}}
	for _, ts := range r.TagFieldSpecifications {
		in.TagFieldSpecifications = append(in.TagFieldSpecifications, types.TagFieldSpecificationRequest{
			ResourceType: types.TaggableResourceType(ts.ResourceType), TagKeys: ts.TagKeys})
	}
	created, err := client.CreateFlowLogs(ctx, in)
	if err != nil {
		return "", nil, err
	}
	if len(created.FlowLogIds) != 1 {
		return "", nil, fmt.Errorf("CreateFlowLogs: %+v", created.Unsuccessful)
	}
	clock = clock.Add(6 * time.Minute)
	s3c := emutest.S3(cfg)
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(d.Prefix + "AWSLogs/")})
	if err != nil {
		return "", nil, err
	}
	if len(list.Contents) == 0 {
		return "", nil, fmt.Errorf("no file delivered under %s", d.Prefix)
	}
	key := aws.ToString(list.Contents[0].Key)
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", nil, err
	}
	defer obj.Body.Close()
	body, err := io.ReadAll(obj.Body)
	return key, body, err
}

func gunzipLines(t *testing.T, body []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The header line of a delivered plain-text file, AWS's hyphenated field
// names, is the table's column list once each name is made an Athena name.
// Real AWS files carry the same header. Parquet files name their columns
// themselves: their names and types are the table's.
func TestTablesMatchDeliveredFiles(t *testing.T) {
	plain, pq := 0, 0
	for _, d := range delivered(t) {
		t.Run(d.spec+"/"+d.rule, func(t *testing.T) {
			var names []string
			for _, c := range d.table.columns {
				names = append(names, c.name)
			}
			if d.table.parquet {
				pq++
				if !strings.HasSuffix(d.key, ".log.parquet") {
					t.Fatalf("a Parquet table's file is %s", d.key)
				}
				f, err := parquet.OpenFile(bytes.NewReader(d.body), int64(len(d.body)))
				if err != nil {
					t.Fatal(err)
				}
				athena := map[parquet.Kind]string{parquet.Int32: "int", parquet.Int64: "bigint", parquet.ByteArray: "string"}
				var got []string
				for _, field := range f.Schema().Fields() {
					got = append(got, field.Name()+" "+athena[field.Type().Kind()])
				}
				var want []string
				for _, c := range d.table.columns {
					want = append(want, c.name+" "+c.typ)
				}
				if strings.Join(got, ", ") != strings.Join(want, ", ") {
					t.Errorf("Parquet columns:\n  %s\ntable columns:\n  %s", strings.Join(got, ", "), strings.Join(want, ", "))
				}
				return
			}
			plain++
			lines := gunzipLines(t, d.body)
			if d.table.skipHeader != 1 || d.table.delimiter != " " {
				t.Fatalf("table skips %d header lines, delimiter %q", d.table.skipHeader, d.table.delimiter)
			}
			header := strings.ReplaceAll(lines[0], "-", "_")
			if header != strings.Join(names, " ") {
				t.Errorf("header line %q\n     columns %q", lines[0], strings.Join(names, " "))
			}
		})
	}
	if plain < 4 || pq < 2 {
		t.Errorf("checked %d plain-text and %d Parquet tables, want at least 4 and 2", plain, pq)
	}
}

// duckdbDir is where .ci/run installs @duckdb/node-api.
func duckdbDir() string {
	if d := os.Getenv("FLOWPLAN_DUCKDB_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "flowplan-duckdb")
}

// requireDuckDB returns node's path, or skips the test (fails it under
// FLOWPLAN_REQUIRE_E2E=1) when node or @duckdb/node-api is missing.
func requireDuckDB(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	dir := duckdbDir()
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json"))
	}
	if err != nil {
		if os.Getenv("FLOWPLAN_REQUIRE_E2E") == "1" {
			t.Fatalf("DuckDB is required (FLOWPLAN_REQUIRE_E2E=1): node and @duckdb/node-api in %s: %v", dir, err)
		}
		t.Skipf("SKIPPED: the DuckDB check needs node and @duckdb/node-api installed in %s (.ci/run installs it; "+
			"FLOWPLAN_DUCKDB_DIR overrides the directory): %v", dir, err)
	}
	return node
}

// duckdb runs sql in DuckDB (through Node and @duckdb/node-api) and
// returns the rows as JSON objects, BIGINTs as strings.
func duckdb(t *testing.T, sql string) []map[string]any {
	t.Helper()
	node := requireDuckDB(t)
	dir := duckdbDir()
	script := filepath.Join(t.TempDir(), "query.cjs")
	if err := os.WriteFile(script, []byte(`const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const reader = await con.runAndReadAll(process.argv[2]);
  process.stdout.write(JSON.stringify(reader.getRowObjectsJson()));
})().catch((e) => { console.error(e.message); process.exit(1); });
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, sql)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("duckdb: %v\n%s\nquery: %s", err, stderr.String(), sql)
	}
	var rows []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("duckdb output: %v\n%s", err, stdout.String())
	}
	return rows
}

// duckdbTypes are DuckDB's names for the table's column types.
var duckdbTypes = map[string]string{"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR"}

// DuckDB, an independent reader, reads a delivered plain-text file with the
// table's own delimiter, header line count, NULL mark and column types,
// and finds every record, with the values the file holds.
func TestDuckDBReadsDeliveredFiles(t *testing.T) {
	requireDuckDB(t)
	checked := 0
	for _, d := range delivered(t) {
		if d.table.parquet {
			continue
		}
		t.Run(d.spec+"/"+d.rule, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "file.log.gz")
			if err := os.WriteFile(path, d.body, 0o600); err != nil {
				t.Fatal(err)
			}
			var cols []string
			for _, c := range d.table.columns {
				typ := duckdbTypes[c.typ]
				if typ == "" {
					t.Fatalf("column %s has type %q", c.name, c.typ)
				}
				cols = append(cols, fmt.Sprintf("'%s': '%s'", c.name, typ))
			}
			sql := fmt.Sprintf("SELECT * FROM read_csv('%s', delim = '%s', header = false, skip = %d, nullstr = '%s', "+
				"columns = {%s}, compression = 'gzip', auto_detect = false)",
				path, d.table.delimiter, d.table.skipHeader, d.table.nullAs, strings.Join(cols, ", "))
			rows := duckdb(t, sql)
			lines := gunzipLines(t, d.body)
			if len(rows) != len(lines)-1 || len(rows) == 0 {
				t.Fatalf("DuckDB read %d rows from a file of %d records", len(rows), len(lines)-1)
			}
			// The first record, field by field, as the file has it.
			for i, v := range strings.Split(lines[1], " ") {
				c := d.table.columns[i]
				got := rows[0][c.name]
				switch {
				case v == "-":
					if got != nil {
						t.Errorf("%s: %q read as %v, want NULL", c.name, v, got)
					}
				case c.typ == "int":
					if n, _ := strconv.Atoi(v); got != float64(n) {
						t.Errorf("%s: %q read as %v", c.name, v, got)
					}
				default: // bigint arrives as a string, like a string column
					if got != v {
						t.Errorf("%s: %q read as %v", c.name, v, got)
					}
				}
			}
			checked++
		})
	}
	if checked < 4 {
		t.Errorf("DuckDB read %d plain-text files, want at least 4", checked)
	}
}

// DuckDB reads a delivered Parquet file and finds the table's columns,
// with the table's types.
func TestDuckDBReadsDeliveredParquet(t *testing.T) {
	requireDuckDB(t)
	checked := 0
	for _, d := range delivered(t) {
		if !d.table.parquet {
			continue
		}
		t.Run(d.spec+"/"+d.rule, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "file.log.parquet")
			if err := os.WriteFile(path, d.body, 0o600); err != nil {
				t.Fatal(err)
			}
			desc := duckdb(t, fmt.Sprintf("DESCRIBE SELECT * FROM read_parquet('%s')", path))
			if len(desc) != len(d.table.columns) {
				t.Fatalf("DuckDB sees %d columns, the table has %d", len(desc), len(d.table.columns))
			}
			for i, c := range d.table.columns {
				if desc[i]["column_name"] != c.name || desc[i]["column_type"] != duckdbTypes[c.typ] {
					t.Errorf("column %d: DuckDB %v %v, table %s %s", i, desc[i]["column_name"], desc[i]["column_type"], c.name, c.typ)
				}
			}
			count := duckdb(t, fmt.Sprintf("SELECT count(*) AS n FROM read_parquet('%s')", path))
			if count[0]["n"] == "0" || count[0]["n"] == nil {
				t.Errorf("no rows: %v", count)
			}
			checked++
		})
	}
	if checked < 2 {
		t.Errorf("DuckDB read %d Parquet files, want at least 2", checked)
	}
}
