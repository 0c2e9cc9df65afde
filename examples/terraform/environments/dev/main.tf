# dev: a small, cheap environment where runner images and module upgrades are tried first.
terraform {
  required_version = ">= 1.6.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      environment = "dev"
    }
  }
}

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region to deploy to."
}

variable "github_app_id" {
  type        = string
  description = "ID of the GitHub App of this environment."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the runner subnets."
}

variable "runner_subnet_ids" {
  type        = list(string)
  description = "Private subnets (with NAT) for runners, one per availability zone."
}

# dev and prod call the same module source; an upgrade changes both roots in one commit and reaches
# prod after dev (with a registry source, both carry the same version = "x.y.z").
module "runners" {
  source = "../../../../modules-out/terraform-aws-self-runners"

  prefix            = "runners-dev"
  github_app_id     = var.github_app_id
  vpc_id            = var.vpc_id
  runner_subnet_ids = var.runner_subnet_ids

  pools = {
    linux = {
      labels         = ["linux", "x64"]
      instance_types = ["m7i.large", "m6i.large"]
      max_runners    = 5
      spot           = true
    }
  }

  max_runners_total  = 5
  log_retention_days = 14
  # dev keeps CloudWatch Logs only; prod keeps the audit trail.
  enable_cloudtrail = false
}

output "webhook_url" {
  description = "Paste into the GitHub App's webhook URL."
  value       = module.runners.webhook_url
}
