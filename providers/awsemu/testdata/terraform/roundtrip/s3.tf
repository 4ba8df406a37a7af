# The same VPCs to the log-archive account's bucket, as Parquet with Hive
# partitions, under a folder of their own. The bucket policy lets the log
# delivery service write for the prod account; it keeps the statement the
# bucket already had, because Terraform's aws_s3_bucket_policy owns the
# whole policy.

locals {
  archive_bucket = "org-flow-logs-archive"
  archive_folder = "terraform/"
}

resource "aws_s3_bucket_policy" "archive" {
  provider = aws.archive
  bucket   = local.archive_bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::${local.archive_bucket}", "arn:aws:s3:::${local.archive_bucket}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "AWSLogDeliveryWrite"
        Effect    = "Allow"
        Principal = { Service = "delivery.logs.amazonaws.com" }
        Action    = "s3:PutObject"
        # Hive-compatible partitions put the files under
        # AWSLogs/aws-account-id=<account>/ instead of AWSLogs/<account>/.
        Resource  = "arn:aws:s3:::${local.archive_bucket}/${local.archive_folder}AWSLogs/aws-account-id=${data.aws_caller_identity.prod.account_id}/*"
        Condition = { StringEquals = { "s3:x-amz-acl" = "bucket-owner-full-control", "aws:SourceAccount" = data.aws_caller_identity.prod.account_id } }
      },
      {
        Sid       = "AWSLogDeliveryAclCheck"
        Effect    = "Allow"
        Principal = { Service = "delivery.logs.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = "arn:aws:s3:::${local.archive_bucket}"
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.prod.account_id } }
      },
    ]
  })
}

resource "aws_flow_log" "s3" {
  for_each                 = toset(data.aws_vpcs.prod.ids)
  vpc_id                   = each.value
  traffic_type             = "ALL"
  log_destination_type     = "s3"
  log_destination          = "arn:aws:s3:::${local.archive_bucket}/${local.archive_folder}"
  max_aggregation_interval = 600
  destination_options {
    file_format                = "parquet"
    hive_compatible_partitions = true
    per_hour_partition         = true
  }
  tags       = { team = "netsec" }
  depends_on = [aws_s3_bucket_policy.archive]
}
