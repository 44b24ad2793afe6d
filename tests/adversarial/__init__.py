"""The adversarial corpus: submissions crafted to cheat, crash or damage the grader (corpus.py)."""
