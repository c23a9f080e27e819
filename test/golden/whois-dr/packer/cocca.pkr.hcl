# cocca-bake 0.1.0: profile whois-dr (digest cb8baf1bd1f1e1e6271996f5b20fb83e2604d57de5b5bcb8bf153dd70c427106). Generated: edit the profile, not this file.
packer {
  required_version = ">= 1.10.0"

  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "ami_regions" {
  type    = list(string)
  default = []
}

locals {
  stamp = formatdate("YYYYMMDD-hhmmss", timestamp())
}

source "amazon-ebs" "cocca" {
  region          = "eu-central-1"
  instance_type   = "t3.xlarge"
  ssh_username    = "ubuntu"
  ami_name        = "cocca-whois-dr-${local.stamp}"
  ami_description = "CoCCA registry (whois-dr) from cocca-bake profile whois-dr"
  encrypt_boot    = true
  ami_users       = []
  ami_groups      = []
  ami_regions     = var.ami_regions
  imds_support    = "v2.0"
  tags = {
    "cocca-bake:profile"        = "whois-dr"
    "cocca-bake:role"           = "whois-dr"
    "cocca-bake:version"        = "0.1.0"
    "cocca-bake:profile-digest" = "cb8baf1bd1f1e1e6271996f5b20fb83e2604d57de5b5bcb8bf153dd70c427106"
    "cocca-bake:os"             = "ubuntu-22.04"
    "cocca-bake:postgres"       = "15"
    "cocca-bake:java"           = "8u351"
    "cocca-bake:resin"          = "4.0.66"
    "cocca-bake:openssl"        = "1.1.1s"
    "cocca-bake:jdbc"           = "42.5.0"
  }
  snapshot_tags = {
    "cocca-bake:profile"        = "whois-dr"
    "cocca-bake:role"           = "whois-dr"
    "cocca-bake:version"        = "0.1.0"
    "cocca-bake:profile-digest" = "cb8baf1bd1f1e1e6271996f5b20fb83e2604d57de5b5bcb8bf153dd70c427106"
    "cocca-bake:os"             = "ubuntu-22.04"
    "cocca-bake:postgres"       = "15"
    "cocca-bake:java"           = "8u351"
    "cocca-bake:resin"          = "4.0.66"
    "cocca-bake:openssl"        = "1.1.1s"
    "cocca-bake:jdbc"           = "42.5.0"
  }
  run_tags = {
    Name = "cocca-bake build whois-dr"
  }
  temporary_security_group_source_cidrs = ["198.51.100.0/24"]

  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"]
    most_recent = true
  }

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 150
    volume_type           = "gp3"
    throughput            = 125
    iops                  = 3000
    delete_on_termination = true
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
}

build {
  name    = "cocca-whois-dr"
  sources = ["source.amazon-ebs.cocca"]

  provisioner "shell" {
    inline = ["cloud-init status --wait || [ $? -eq 2 ]", "mkdir -p /tmp/cocca"]
  }

  provisioner "file" {
    source      = "files/"
    destination = "/tmp/cocca"
  }

  provisioner "shell" {
    execute_command = "sudo -E bash -euo pipefail {{ .Path }}"
    inline          = ["bash /tmp/cocca/install.sh", "/usr/local/sbin/cocca-run bake"]
  }

  provisioner "file" {
    direction   = "download"
    source      = "/usr/local/share/cocca/image-packages.tsv"
    destination = "image-packages.tsv"
  }

  provisioner "shell" {
    execute_command = "sudo -E bash -euo pipefail {{ .Path }}"
    inline          = ["/usr/local/sbin/cocca-run seal"]
  }

  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
  }
}
