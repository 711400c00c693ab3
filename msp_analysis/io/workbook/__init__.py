"""The return workbooks of an ADASS region's temperature check, and the assurance returns.

* :mod:`.layout` — the template's layout and vocabulary, shared by writer and reader: sheet
  names, key rows and columns, answer scales, return statuses, the items as asked;
* :mod:`.cells` — writing cells safely (formula-like text stays text) and sheet set-up;
* :mod:`.template` — the return template a region sends to its councils;
* :mod:`.returns` — reading a filled return: council, people, answers and every problem,
  and the rows the temperature-check cleaner reads;
* :mod:`.feedback` — the feedback workbook per return and the validation of a batch;
* :mod:`.assurance` — the commissioners' and providers' assurance returns (Table 1's commissioner
  evidence; Appendix 5's measures of success and Appendix 3's guidelines checklist): template and reader.

The regional pack that cleans, scores and reports the returns is
:mod:`msp_analysis.workflows.pack`.
"""
