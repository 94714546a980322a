from industry_clusters.cli import main

main(prog_name="industry-clusters")
