"""The risk watch: flags new expenses whose risk score reaches the threshold, once."""
