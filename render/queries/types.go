package queries

import "strings"

// columnTypes is the Athena type of each flow log record field, keyed by
// the field names of spec/logformat: the Parquet data type the VPC user
// guide's "Available fields" table and the Transit Gateway guide's records
// table give each field (INT_32 → int, INT_64 → bigint, STRING → string).
// AWS writes Parquet files with those types; plain-text files hold the same
// values as text, which Athena parses into them. Fields whose documentation
// could not be read (spec/logformat marks them Unverified) take the type
// their values need: encryption-status is a number 0 to 3, the others IDs
// and names. TestColumnTypesCoverEveryField fails for a field missing here.
var columnTypes = map[string]string{
	// version 2
	"version": "int", "account-id": "string", "interface-id": "string", "srcaddr": "string", "dstaddr": "string",
	"srcport": "int", "dstport": "int", "protocol": "int", "packets": "bigint", "bytes": "bigint",
	"start": "bigint", "end": "bigint", "action": "string", "log-status": "string",
	// version 3
	"vpc-id": "string", "subnet-id": "string", "instance-id": "string", "tcp-flags": "int", "type": "string",
	"pkt-srcaddr": "string", "pkt-dstaddr": "string",
	// version 4
	"region": "string", "az-id": "string", "sublocation-type": "string", "sublocation-id": "string",
	// version 5
	"pkt-src-aws-service": "string", "pkt-dst-aws-service": "string", "flow-direction": "string", "traffic-path": "int",
	// version 6: transit gateways
	"resource-type": "string", "tgw-id": "string", "tgw-attachment-id": "string", "tgw-src-vpc-account-id": "string",
	"tgw-dst-vpc-account-id": "string", "tgw-src-vpc-id": "string", "tgw-dst-vpc-id": "string", "tgw-src-subnet-id": "string",
	"tgw-dst-subnet-id": "string", "tgw-src-eni": "string", "tgw-dst-eni": "string", "tgw-src-az-id": "string",
	"tgw-dst-az-id": "string", "tgw-pair-attachment-id": "string", "packets-lost-no-route": "bigint",
	"packets-lost-blackhole": "bigint", "packets-lost-mtu-exceeded": "bigint", "packets-lost-ttl-expired": "bigint",
	// version 7: ECS
	"ecs-cluster-arn": "string", "ecs-cluster-name": "string", "ecs-container-instance-arn": "string",
	"ecs-container-instance-id": "string", "ecs-container-id": "string", "ecs-second-container-id": "string",
	"ecs-service-name": "string", "ecs-task-definition-arn": "string", "ecs-task-arn": "string", "ecs-task-id": "string",
	// version 8
	"reject-reason": "string",
	// versions 9 and 10 (unverified)
	"resource-id": "string", "encryption-status": "int",
	// version 11: tag fields, and (unverified) interface and next-hop fields
	"instance-tag": "string", "instance-tag-2": "string", "interface-tag": "string", "interface-tag-2": "string",
	"asg-tag": "string", "asg-tag-2": "string",
	"interface-type": "string", "next-hop-interface-id": "string", "next-hop-subnet-id": "string", "next-hop-az-id": "string",
	"next-hop-vpc-id": "string", "next-hop-interface-type": "string",
}

// columnName is a field's column name: Athena names are lower case letters,
// digits and underscores, so account-id becomes account_id. AWS's Parquet
// files use the same names (awsemu writes them so; Athena matches Parquet
// columns by name).
func columnName(field string) string { return strings.ReplaceAll(field, "-", "_") }

// ddlReserved and selectReserved are Athena's reserved keywords (the
// "Escape reserved keywords in queries" page): in DDL statements they are
// escaped with backticks, in SELECT statements with double quotes.
var (
	ddlReserved = wordSet(`ALL ALTER AND ARRAY AS AUTHORIZATION BETWEEN BIGINT BINARY BOOLEAN BOTH BY CASE CASHE CAST
		CHAR COLUMN CONF CONSTRAINT COMMIT CREATE CROSS CUBE CURRENT CURRENT_DATE CURRENT_TIMESTAMP CURSOR DATABASE DATE
		DAYOFWEEK DECIMAL DELETE DESCRIBE DISTINCT DIV DOUBLE DROP ELSE END EXCHANGE EXISTS EXTENDED EXTERNAL EXTRACT
		FALSE FETCH FLOAT FLOOR FOLLOWING FOR FOREIGN FROM FULL FUNCTION GRANT GROUP GROUPING HAVING IF IMPORT IN INNER
		INSERT INT INTEGER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LESS LIKE LOCAL MACRO MAP MORE NONE NOT NULL
		NUMERIC OF ON ONLY OR ORDER OUT OUTER OVER PARTIALSCAN PARTITION PERCENT PRECEDING PRECISION PRESERVE PRIMARY
		PROCEDURE RANGE READS REDUCE REGEXP REFERENCES REVOKE RIGHT RLIKE ROLLBACK ROLLUP ROW ROWS SELECT SET SMALLINT
		START TABLE TABLESAMPLE THEN TIME TIMESTAMP TO TRANSFORM TRIGGER TRUE TRUNCATE UNBOUNDED UNION UNIQUEJOIN UPDATE
		USER USING UTC_TIMESTAMP VALUES VARCHAR VIEWS WHEN WHERE WINDOW WITH`)
	selectReserved = wordSet(`ALTER AND AS BETWEEN BY CASE CAST CONSTRAINT CREATE CROSS CUBE CURRENT_CATALOG
		CURRENT_DATE CURRENT_PATH CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEALLOCATE
		DELETE DESCRIBE DISTINCT DROP ELSE END ESCAPE EXCEPT EXECUTE EXISTS EXTRACT FALSE FIRST FOR FROM FULL GROUP
		GROUPING HAVING IN INNER INSERT INTERSECT INTO IS JOIN JSON_ARRAY JSON_EXISTS JSON_OBJECT JSON_QUERY JSON_TABLE
		JSON_VALUE LAST LEFT LIKE LISTAGG LOCALTIME LOCALTIMESTAMP NATURAL NORMALIZE NOT NULL OF ON OR ORDER OUTER
		PREPARE RECURSIVE RIGHT ROLLUP SELECT SKIP TABLE THEN TRIM TRUE UESCAPE UNION UNNEST USING VALUES WHEN WHERE WITH`)
)

func wordSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		out[strings.ToLower(w)] = true
	}
	return out
}

// ddlIdent is a name as a DDL statement writes it.
func ddlIdent(name string) string {
	if ddlReserved[name] {
		return "`" + name + "`"
	}
	return name
}

// sqlIdent is a name as a SELECT statement writes it.
func sqlIdent(name string) string {
	if selectReserved[name] {
		return `"` + name + `"`
	}
	return name
}
