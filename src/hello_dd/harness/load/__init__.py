"""Load runs: profiles read from Gherkin tables, run by Locust in a subprocess, summarised and charted."""
