// Package queries writes Amazon Athena tables and CloudWatch Logs Insights queries for a spec's flow logs, from the spec alone.
//
// Athena prints one CREATE EXTERNAL TABLE per S3 destination, with columns
// and types for the rule's record format and partition projection over the
// accounts and regions the spec covers; Insights prints Logs Insights
// queries for the CloudWatch Logs rules, with the log groups the spec's
// templates name. Both are pure: they read a *spec.Spec and make no AWS
// call. docs/queries.md documents the output.
package queries
