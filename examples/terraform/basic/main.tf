# One pool of repository-level runners, Lambdas outside any VPC.
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
}

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region to deploy to."
}

variable "github_app_id" {
  type        = string
  description = "ID of your GitHub App."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the runner subnets."
}

variable "runner_subnet_ids" {
  type        = list(string)
  description = "Private subnets (with NAT) for runners, one per availability zone."
}

module "runners" {
  source = "../../../modules-out/terraform-aws-self-runners"

  github_app_id     = var.github_app_id
  vpc_id            = var.vpc_id
  runner_subnet_ids = var.runner_subnet_ids

  pools = {
    linux = {
      labels         = ["linux", "x64"]
      instance_types = ["m7i.large", "m6i.large", "m5.large"]
      max_runners    = 20
    }
  }
}

output "webhook_url" {
  description = "Paste into the GitHub App's webhook URL."
  value       = module.runners.webhook_url
}

output "webhook_secret_ssm_parameter_name" {
  description = "Put the webhook secret here (aws ssm put-parameter --overwrite)."
  value       = module.runners.webhook_secret_ssm_parameter_name
}

output "github_app_private_key_ssm_parameter_name" {
  description = "Put the App's private key here (aws ssm put-parameter --overwrite)."
  value       = module.runners.github_app_private_key_ssm_parameter_name
}
