from wtui.cli import run

run()
