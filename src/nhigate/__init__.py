"""nhigate: a pre-deploy gate for non-human identity risk in Terraform and CloudFormation."""

__version__ = "0.1.0"
